import { describe, expect, it } from 'vitest';
import { decodeParkedRecord, encodeParkedRecord, parkedEpisodeHeader, parkedKindHeader } from '../../../services/dispatcher/parking/parked-record.js';
import type { ClosedFacts, ParkedRecord } from '../../../services/dispatcher/parking/parked-record.js';

// Not valid UTF-8 (a lone continuation byte, an invalid lead byte, a NUL): a text round trip would mangle it.
const rawBytes = Buffer.from([0x7b, 0x80, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x7d]);

const facts: ClosedFacts = { headItems: 3, firstFailureAtMs: 1_764_000_000_000, retryCount: 12, lastError: 'http_503', lastStatusCode: 503 };

const records: ParkedRecord[] = [
  { kind: 'begin', episodeId: 'pke_1', headThroughOffset: '12', firstFailureAtMs: 1_764_000_000_000 },
  { kind: 'begin', episodeId: 'pke_2', headThroughOffset: '40', firstFailureAtMs: 1_764_000_060_000, backlogAfter: '17' },
  { kind: 'begin', episodeId: 'pke_3', headThroughOffset: '44', firstFailureAtMs: 1_764_000_090_000, backlogAfter: '17', headParkedOffsets: ['19', '21'] },
  { kind: 'begin', episodeId: 'pke_5', headThroughOffset: '48', firstFailureAtMs: 1_764_000_090_000, backlogAfter: '17', headParkedOffsets: ['19'], finishedParkedOffsets: ['18', '20'] },
  { kind: 'begin', episodeId: 'pke_4', headThroughOffset: '52', firstFailureAtMs: 1_764_000_090_000, headDeliveriesOffsets: ['46', '49', '52'] },
  { kind: 'item', episodeId: 'pke_1', deliveriesOffset: '13', value: Buffer.from('{"v":2}\n{"lat":52.5}') },
  { kind: 'item', episodeId: 'pke_1', deliveriesOffset: '14', value: rawBytes },
  { kind: 'item', episodeId: 'pke_1', deliveriesOffset: '15', value: Buffer.alloc(0) },
  { kind: 'item', episodeId: 'pke_1', deliveriesOffset: '16', value: Buffer.from('{"v":2}\n{}'), request: { first: '16', items: 3 } },
  { kind: 'recovered', episodeId: 'pke_1' },
  { kind: 'progress', episodeId: 'pke_1', cursor: '14', finished: ['16', '18'], backlog: 3 },
  { kind: 'progress', episodeId: 'pke_1', cursor: '20', finished: [], backlog: 0 },
  { kind: 'closed', episodeId: 'pke_1', action: 'deactivate', reason: 'failing for 7 days', facts },
  { kind: 'closed', episodeId: 'pke_1', action: 'disable', reason: '', facts: { ...facts, lastError: 'ECONNREFUSED', lastStatusCode: null } },
  { kind: 'drained', episodeId: 'pke_1' },
];

const label = (r: ParkedRecord): string => {
  switch (r.kind) {
    case 'begin': return r.backlogAfter === undefined ? `begin (${r.headDeliveriesOffsets?.length ?? 'no'} head offsets)` : `begin after a drain failure (${r.headParkedOffsets?.length ?? 0} head items)`;
    case 'item': return r.request === undefined ? `item of ${r.value.length} bytes` : `item of an earlier owner's request of ${r.request.items}`;
    case 'closed': return `closed (${r.action}, status ${String(r.facts.lastStatusCode)})`;
    default: return r.kind;
  }
};

/** Kafka hands headers over as Buffers; the encoder produces strings. */
const asKafkaHeaders = (headers: Record<string, string>): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));

const episode = { [parkedEpisodeHeader]: 'pke_1' };

describe('webhook.parked records', () => {
  it.each(records.map((r) => [label(r), r] as const))('%s round-trips through value and headers', (_, record) => {
    const { value, headers } = encodeParkedRecord(record);
    expect(headers[parkedKindHeader]).toBe(record.kind);
    expect(headers[parkedEpisodeHeader]).toBe(record.episodeId);
    expect(decodeParkedRecord(value, headers)).toEqual({ kind: 'record', record });
    expect(decodeParkedRecord(Buffer.from(value), asKafkaHeaders(headers))).toEqual({ kind: 'record', record });
  });

  it('an item keeps the deliveries value byte for byte, including bytes that are not UTF-8', () => {
    const { value, headers } = encodeParkedRecord({ kind: 'item', episodeId: 'pke_1', deliveriesOffset: '14', value: rawBytes });
    expect(value.equals(rawBytes)).toBe(true);
    expect(headers['fleethook-deliveries-offset']).toBe('14');
    const decoded = decodeParkedRecord(Buffer.from(value), asKafkaHeaders(headers));
    if (decoded.kind !== 'record' || decoded.record.kind !== 'item') throw new Error(`expected an item, got ${JSON.stringify(decoded)}`);
    expect(decoded.record.value.equals(rawBytes)).toBe(true);
  });

  it('a begin without backlogAfter writes no backlogAfter field', () => {
    const { value } = encodeParkedRecord(records[0]!);
    expect(JSON.parse(value.toString('utf8'))).toEqual({ headThroughOffset: '12', firstFailureAtMs: 1_764_000_000_000 });
  });

  it('reads the last value of a repeated header', () => {
    const headers = { [parkedKindHeader]: [Buffer.from('item'), Buffer.from('drained')], [parkedEpisodeHeader]: 'pke_1' };
    expect(decodeParkedRecord(Buffer.alloc(0), headers)).toEqual({ kind: 'record', record: { kind: 'drained', episodeId: 'pke_1' } });
  });

  const begin = (body: string) => [Buffer.from(body), { [parkedKindHeader]: 'begin', ...episode }] as const;
  const closed = (body: string) => [Buffer.from(body), { [parkedKindHeader]: 'closed', ...episode }] as const;
  const closedWith = (change: Record<string, unknown>) => closed(JSON.stringify({ action: 'deactivate', reason: 'limit', facts: { ...facts, ...change } }));
  const item = (offset: string | undefined, value: Buffer | null) =>
    [value, { [parkedKindHeader]: 'item', ...episode, ...(offset === undefined ? {} : { 'fleethook-deliveries-offset': offset }) }] as const;

  it.each([
    ['no headers at all', Buffer.alloc(0), undefined, /fleethook-episode missing/],
    ['no episode header', Buffer.alloc(0), { [parkedKindHeader]: 'drained' }, /fleethook-episode missing/],
    ['an empty episode header', Buffer.alloc(0), { [parkedKindHeader]: 'drained', [parkedEpisodeHeader]: '' }, /fleethook-episode missing/],
    ['no kind header', Buffer.alloc(0), episode, /unknown fleethook-parked-kind/],
    ['an unknown kind', Buffer.alloc(0), { [parkedKindHeader]: 'later', ...episode }, /unknown fleethook-parked-kind "later"/],
    ['the retired end kind', Buffer.alloc(0), { [parkedKindHeader]: 'end', ...episode }, /unknown fleethook-parked-kind "end"/],
    ['an item without an offset header', ...item(undefined, Buffer.from('x')), /decimal fleethook-deliveries-offset/],
    ['an item with a negative offset', ...item('-1', Buffer.from('x')), /decimal fleethook-deliveries-offset/],
    ['an item with a non-integer offset', ...item('13.5', Buffer.from('x')), /decimal fleethook-deliveries-offset/],
    ['an item with an empty offset', ...item('', Buffer.from('x')), /decimal fleethook-deliveries-offset/],
    ['an item with a null value (tombstone)', ...item('13', null), /item without a value/],
    ...['16', '16/0', '16/x', '/3', '16/3/1', '-1/3', '16/1234567'].map((request) => [
      `an item with the request header ${JSON.stringify(request)}`, Buffer.from('x'), { ...item('16', Buffer.from('x'))[1], 'fleethook-request': request }, /malformed fleethook-request/,
    ] as const),
    ['a begin that is not JSON', ...begin('{'), /begin value is not a JSON object/],
    ['a begin that is a JSON array', ...begin('["12"]'), /begin value is not a JSON object/],
    ['a begin that is JSON null', ...begin('null'), /begin value is not a JSON object/],
    ['a begin with a null value', null, { [parkedKindHeader]: 'begin', ...episode }, /begin value is not a JSON object/],
    ['a begin without headThroughOffset', ...begin('{"firstFailureAtMs":1}'), /decimal headThroughOffset/],
    ['a begin with a numeric headThroughOffset', ...begin('{"headThroughOffset":12,"firstFailureAtMs":1}'), /decimal headThroughOffset/],
    ['a begin with a fractional firstFailureAtMs', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1.5}'), /integer firstFailureAtMs/],
    ['a begin with a numeric backlogAfter', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1,"backlogAfter":17}'), /decimal backlogAfter/],
    ['a begin with a non-decimal backlogAfter', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1,"backlogAfter":"0x11"}'), /decimal backlogAfter/],
    ['a begin with a null backlogAfter', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1,"backlogAfter":null}'), /decimal backlogAfter/],
    ['a begin with numeric head offsets', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1,"backlogAfter":"3","headParkedOffsets":[4]}'), /headParkedOffsets must be a list of decimal offsets/],
    ['a progress without a cursor', Buffer.from('{"finished":[],"backlog":0}'), { [parkedKindHeader]: 'progress', ...episode }, /progress needs a decimal cursor/],
    ['a progress with a negative backlog', Buffer.from('{"cursor":"3","finished":[],"backlog":-1}'), { [parkedKindHeader]: 'progress', ...episode }, /backlog count/],
    ['a begin with numeric head deliveries offsets', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1,"headDeliveriesOffsets":[12]}'), /headDeliveriesOffsets must be a list of decimal offsets/],
    ['a begin with head offsets that are not a list', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1,"backlogAfter":"3","headParkedOffsets":"4"}'), /headParkedOffsets must be a list/],
    ['a begin with numeric finished offsets', ...begin('{"headThroughOffset":"12","firstFailureAtMs":1,"backlogAfter":"3","finishedParkedOffsets":[5]}'), /finishedParkedOffsets must be a list of decimal offsets/],
    ['a closed that is not JSON', ...closed('deactivate'), /closed needs an action \(deactivate, disable\) and a reason/],
    ['a closed with an unknown action', ...closed('{"action":"pause","reason":"limit"}'), /closed needs an action \(deactivate, disable\)/],
    ['a closed without an action', ...closed('{"reason":"limit"}'), /closed needs an action/],
    ['a closed without a reason', ...closed('{"action":"disable"}'), /and a reason/],
    ['a closed with a non-string reason', ...closed('{"action":"disable","reason":7}'), /and a reason/],
    ['a closed without facts', ...closed('{"action":"disable","reason":"limit"}'), /closed needs facts/],
    ['a closed with null facts', ...closed('{"action":"disable","reason":"limit","facts":null}'), /closed needs facts/],
    ['a closed with a negative headItems', ...closedWith({ headItems: -1 }), /closed needs facts/],
    ['a closed with a fractional retryCount', ...closedWith({ retryCount: 1.5 }), /closed needs facts/],
    ['a closed with a string firstFailureAtMs', ...closedWith({ firstFailureAtMs: '1764000000000' }), /closed needs facts/],
    ['a closed without lastError', ...closedWith({ lastError: undefined }), /closed needs facts/],
    ['a closed without lastStatusCode', ...closedWith({ lastStatusCode: undefined }), /closed needs facts/],
    ['a closed with a string lastStatusCode', ...closedWith({ lastStatusCode: '503' }), /closed needs facts/],
  ] as const)('refuses %s, with a reason', (_, value, headers, reason) => {
    const decoded = decodeParkedRecord(value, headers);
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind === 'invalid') expect(decoded.reason).toMatch(reason);
  });
});
