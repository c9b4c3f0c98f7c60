import { describe, expect, it } from 'vitest';
import type { ClosedBatch, PendingItem } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { buildWebhookBody, buildWebhookBodyBytes, buildWebhookRequest } from '../../../services/dispatcher/deliver/build-webhook-request.js';
import type { DeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { decodeDeliveryItem, encodeDeliveryItem, encodeItemHead, itemDataLength, itemEncoder, parseWrittenHead, readDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { pending, plainSub } from './dispatcher-fixtures.js';

const head = { subscriptionId: 'sub_a', kind: 'gps' as const, vehicleId: 'veh_1', seq: 3, recordTimeMs: 1_700_000_000_000, origin: { topic: 'telemetry.gps', partition: 2, offset: '41' } };
const unicodeData = JSON.stringify({ seq: 3, note: 'Straße 😀 \u2028', time: '2023-11-14T22:13:20.000Z' });
const meta = { webhookId: 'msg_x', createdAt: new Date(1_000), enqueueTime: new Date(2_000), retryCount: 1, queueDepth: 4, now: new Date(3_000) };

/** The fields a JSON comparison sees, `dataJson` included (it is a getter on an item read as bytes). */
const fieldsOf = (item: DeliveryItem): Record<string, unknown> => ({ ...item, dataJson: item.dataJson });

const read = (value: Buffer | null): DeliveryItem => {
  const decoded = readDeliveryItem(value);
  if (decoded.kind !== 'item') throw new Error(decoded.reason);
  return decoded.item;
};

describe('delivery items read for delivery (data held as bytes)', () => {
  it.each([
    ['an ASCII item', encodeDeliveryItem(head, '{"seq":3}')],
    ['an item beyond ASCII', encodeDeliveryItem(head, unicodeData)],
    ['a simulated item', encodeDeliveryItem({ ...head, simulated: true }, '{"seq":3}')],
    ['a scheduled part', encodeDeliveryItem({ ...head, kind: 'scheduled', slot: { slotMs: 60_000, part: 1 } }, '{"a":1},{"b":2}')],
    ['a version 1 item', Buffer.from(JSON.stringify({ v: 1, ...head, data: { seq: 3 } }))],
  ])('reads %s as decodeDeliveryItem does, field for field', (_, value) => {
    const decoded = decodeDeliveryItem(value);
    if (decoded.kind !== 'item') throw new Error(decoded.reason);
    const item = read(value);
    expect(fieldsOf(item)).toEqual(decoded.item);
    expect(itemDataLength(item)).toBe(Buffer.byteLength(decoded.item.dataJson));
  });

  it.each([
    ['null', null],
    ['no JSON head', Buffer.from('nope\n{}')],
    ['data that is not an object', encodeDeliveryItem(head, '[1]')],
    ['empty data', Buffer.from(`${encodeDeliveryItem(head, '{}').toString().split('\n')[0] as string}\n`)],
    ['data ending early', encodeDeliveryItem(head, '{"a":1')],
    ['a head without origin', Buffer.from(`${JSON.stringify({ v: 2, subscriptionId: 'sub_a', kind: 'gps', vehicleId: 'v', seq: 1, recordTimeMs: 1 })}\n{}`)],
  ])('refuses %s with the reason decodeDeliveryItem gives', (_, value) => {
    expect(readDeliveryItem(value)).toEqual(decodeDeliveryItem(value));
    expect(readDeliveryItem(value).kind).toBe('invalid');
  });

  it('takes data that is not UTF-8 as decodeDeliveryItem does (as text, with replacement characters)', () => {
    const value = Buffer.concat([encodeDeliveryItem(head, '{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const decoded = decodeDeliveryItem(value);
    if (decoded.kind !== 'item') throw new Error(decoded.reason);
    expect(fieldsOf(read(value))).toEqual(decoded.item);
    expect(itemDataLength(read(value))).toBe(Buffer.byteLength(decoded.item.dataJson));
  });

  it('builds the same body bytes from items read as bytes as from items read as text, JSON and form-encoded', () => {
    const values = [encodeDeliveryItem(head, unicodeData), encodeDeliveryItem({ ...head, seq: 4 }, '{"seq":4}'), encodeDeliveryItem({ ...head, seq: 5 }, '{"seq":5,"x":"ü"}')];
    const asText: PendingItem[] = values.map((value, i) => {
      const decoded = decodeDeliveryItem(value);
      if (decoded.kind !== 'item') throw new Error(decoded.reason);
      return { item: decoded.item, partition: 0, offset: i, value };
    });
    const asBytes: PendingItem[] = values.map((value, i) => ({ item: read(value), partition: 0, offset: i, value }));
    // An intent or backlog rebuilds some items as text: a batch may mix both.
    const mixed = [asBytes[0], asText[1], asBytes[2]] as PendingItem[];
    for (const contentType of ['application/json', 'application/x-www-form-urlencoded'] as const) {
      const sub = plainSub({ contentType, accountId: 'acc_ü' });
      const expected = Buffer.from(buildWebhookBody(sub, batchOf(asText), meta), 'utf8');
      for (const items of [asText, asBytes, mixed]) {
        expect(buildWebhookBodyBytes(sub, batchOf(items), meta).equals(expected)).toBe(true);
        const req = buildWebhookRequest(sub, batchOf(items), meta);
        expect(req.bytes.equals(expected)).toBe(true);
        expect(req.body).toBe(expected.toString('utf8'));
      }
    }
    expect((JSON.parse(buildWebhookRequest(plainSub(), batchOf(asBytes), meta).body) as { data: unknown[] }).data).toEqual([JSON.parse(unicodeData), { seq: 4 }, { seq: 5, x: 'ü' }]);
  });

  it('writes an empty batch as an empty data array', () => {
    const sub = plainSub();
    expect(buildWebhookBodyBytes(sub, batchOf([]), meta).toString()).toBe(buildWebhookBody(sub, batchOf([]), meta));
    expect(buildWebhookBodyBytes(sub, batchOf([pending(1)]), meta).toString()).toBe(buildWebhookBody(sub, batchOf([pending(1)]), meta));
  });
});

function batchOf(items: PendingItem[]): ClosedBatch {
  return { subscriptionId: 'sub_a', kind: 'gps', items, reason: 'time', openedAtMs: 2_000 };
}

describe('the head line parsed in place (the shape this code writes)', () => {
  /** What JSON.parse makes of the line, with the keys in its order. */
  const parsed = (line: string): { value: unknown; keys: string } => {
    const value = JSON.parse(line) as unknown;
    return { value, keys: JSON.stringify(value) };
  };
  const viaBytes = (line: string): { value: unknown; keys: string } | undefined => {
    const bytes = Buffer.from(`${line}\n{}`, 'utf8');
    const value = parseWrittenHead(bytes, bytes.indexOf(0x0a));
    return value === undefined ? undefined : { value, keys: JSON.stringify(value) };
  };

  it.each([
    ['an item the match stage writes', itemEncoder({ kind: 'gps', vehicleId: 'veh_000123', seq: 41, recordTimeMs: 1_764_662_400_123, origin: { topic: 'fh.telemetry.gps', partition: 5, offset: '9876543' } }, '{}')('sub_01JABCDEFGHJKMNPQRSTVWXYZ0').split('\n')[0] as string],
    ['a simulated item', encodeItemHead({ subscriptionId: 'sub_a', kind: 'event', vehicleId: 'v', seq: null, recordTimeMs: 0, origin: { topic: 't', partition: 0, offset: '0' }, simulated: true })],
    ['negative and zero numbers', encodeItemHead({ subscriptionId: 'sub_a', kind: 'dtc', vehicleId: 'v', seq: -7, recordTimeMs: -0, origin: { topic: 't', partition: 0, offset: '' } })],
    ['15-digit numbers', encodeItemHead({ subscriptionId: 's', kind: 'gps', vehicleId: 'v', seq: 999_999_999_999_999, recordTimeMs: -999_999_999_999_999, origin: { topic: 't', partition: 2_147_483_647, offset: '18446744073709551615' } })],
    ['an unknown kind (refused later, as with JSON.parse)', encodeItemHead({ subscriptionId: 's', kind: 'nope' as 'gps', vehicleId: 'v', seq: 1, recordTimeMs: 1, origin: { topic: 't', partition: 0, offset: '1' } })],
  ])('reads %s as JSON.parse does', (_, line) => {
    expect(viaBytes(line)).toEqual(parsed(line));
    expect(Object.is((viaBytes(line)?.value as { recordTimeMs: number }).recordTimeMs, (parsed(line).value as { recordTimeMs: number }).recordTimeMs)).toBe(true);
  });

  const base = { subscriptionId: 'sub_a', kind: 'gps' as const, vehicleId: 'veh_1', seq: 3, recordTimeMs: 1_700_000_000_000, origin: { topic: 't', partition: 2, offset: '41' } };
  it.each([
    ['an escape in a string', encodeItemHead({ ...base, vehicleId: 'veh_"q"\\1' })],
    ['a character beyond ASCII', encodeItemHead({ ...base, vehicleId: 'veh_ü' })],
    ['a fraction', encodeItemHead({ ...base, recordTimeMs: 1.5 })],
    ['an exponent', encodeItemHead({ ...base, recordTimeMs: 1e21 })],
    ['16 digits', encodeItemHead({ ...base, seq: 1_234_567_890_123_456 })],
    ['a scheduled part (its slot)', encodeItemHead({ ...base, kind: 'scheduled', slot: { slotMs: 60_000, part: 0 } })],
    ['spaces', JSON.stringify({ v: 2, ...base }, null, 1).replace(/\n/g, '')],
    ['another key order', JSON.stringify({ v: 2, kind: 'gps', subscriptionId: 'sub_a', vehicleId: 'v', seq: 1, recordTimeMs: 1, origin: base.origin })],
    ['another origin key order', JSON.stringify({ v: 2, ...base, origin: { partition: 2, topic: 't', offset: '41' } })],
    ['an extra key', JSON.stringify({ v: 2, ...base, extra: 1 })],
    ['simulated: false', JSON.stringify({ v: 2, ...base, simulated: false })],
    ['version 1', JSON.stringify({ v: 1, ...base })],
    ['a leading zero', encodeItemHead(base).replace('"seq":3', '"seq":03')],
    ['something after the head', `${encodeItemHead(base)} `],
    ['a cut head', encodeItemHead(base).slice(0, -3)],
  ])('leaves %s to JSON.parse', (_, line) => {
    expect(viaBytes(line)).toBeUndefined();
  });

  it('gives decodeDeliveryItem and readDeliveryItem the same item or reason as a head only JSON.parse reads', () => {
    for (const head of [base, { ...base, simulated: true }, { ...base, seq: null }, { ...base, vehicleId: 'veh_ü' }, { ...base, kind: 'scheduled' as const, slot: { slotMs: 1, part: 2 } }, { ...base, kind: 'x' as 'gps' }]) {
      const value = encodeDeliveryItem(head, '{"a":"ü"}');
      // The same JSON with a space after the first brace: not the written shape, so JSON.parse reads it.
      const spaced = Buffer.concat([Buffer.from('{ '), value.subarray(1)]);
      expect(parseWrittenHead(spaced, spaced.indexOf(0x0a))).toBeUndefined();
      const view = (d: ReturnType<typeof decodeDeliveryItem>): unknown => (d.kind === 'item' ? { ...d.item, dataJson: d.item.dataJson } : d);
      expect(view(decodeDeliveryItem(value))).toEqual(view(decodeDeliveryItem(spaced)));
      expect(view(readDeliveryItem(value))).toEqual(view(decodeDeliveryItem(spaced)));
    }
  });
});
