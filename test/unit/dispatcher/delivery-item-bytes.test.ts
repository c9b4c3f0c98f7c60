import { describe, expect, it } from 'vitest';
import type { ClosedBatch, PendingItem } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { buildWebhookBody, buildWebhookBodyBytes, buildWebhookRequest } from '../../../services/dispatcher/deliver/build-webhook-request.js';
import type { DeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { decodeDeliveryItem, encodeDeliveryItem, itemDataLength, readDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
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
