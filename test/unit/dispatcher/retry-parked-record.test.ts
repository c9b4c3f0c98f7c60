import { describe, expect, it } from 'vitest';
import { decodeParkedRecord, encodeParkedRecord, parkedEpisodeHeader, parkedKindHeader } from '../../../services/dispatcher/parked-record.js';
import type { ParkedRecord } from '../../../services/dispatcher/parked-record.js';

const records: ParkedRecord[] = [
  { kind: 'begin', episodeId: 'pke_1', headThroughOffset: '12', firstFailureAtMs: 1_764_000_000_000 },
  { kind: 'item', episodeId: 'pke_1', deliveriesOffset: '13', value: '{"v":2}\n{"lat":52.5}' },
  { kind: 'end', episodeId: 'pke_1' },
  { kind: 'drained', episodeId: 'pke_1' },
];

describe('webhook.parked records', () => {
  it.each(records.map((r) => [r.kind, r] as const))('%s round-trips through value and headers', (_, record) => {
    const { value, headers } = encodeParkedRecord(record);
    expect(headers[parkedKindHeader]).toBe(record.kind);
    expect(decodeParkedRecord(value, headers)).toEqual({ kind: 'record', record });
  });

  it('an item keeps the deliveries value byte for byte', () => {
    expect(encodeParkedRecord(records[1]!).value.toString('utf8')).toBe('{"v":2}\n{"lat":52.5}');
  });

  it.each([
    ['no episode', Buffer.alloc(0), { [parkedKindHeader]: 'end' }, /episode/],
    ['unknown kind', Buffer.alloc(0), { [parkedKindHeader]: 'later', [parkedEpisodeHeader]: 'pke_1' }, /unknown/],
    ['item without offset', Buffer.from('x'), { [parkedKindHeader]: 'item', [parkedEpisodeHeader]: 'pke_1' }, /deliveries-offset/],
    ['begin not JSON', Buffer.from('{'), { [parkedKindHeader]: 'begin', [parkedEpisodeHeader]: 'pke_1' }, /not JSON/],
    ['begin without offset', Buffer.from('{"firstFailureAtMs":1}'), { [parkedKindHeader]: 'begin', [parkedEpisodeHeader]: 'pke_1' }, /headThroughOffset/],
  ] as const)('is invalid with %s', (_, value, headers, reason) => {
    const decoded = decodeParkedRecord(value, headers);
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind === 'invalid') expect(decoded.reason).toMatch(reason);
  });
});
