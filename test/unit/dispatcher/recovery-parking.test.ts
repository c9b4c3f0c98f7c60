import { describe, expect, it } from 'vitest';
import type { AuditItem } from '../../../services/dispatcher/parking/backlog-drain.js';
import { DeliveryGeneration } from '../../../services/dispatcher/live/delivery-generation.js';
import type { FetchedMessage, PartitionControl } from '../../../services/dispatcher/live/delivery-generation.js';
import { encodeDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { ParkedLogReader } from '../../../services/dispatcher/parking/parked-log-reader.js';
import type { DrainSink } from '../../../services/dispatcher/parking/parked-log-reader.js';
import { decodeParkedRecord, encodeParkedRecord } from '../../../services/dispatcher/parking/parked-record.js';
import { ParkingBook } from '../../../services/dispatcher/parking/parking-book.js';
import { createLogger } from '../../../services/shared/logger.js';
import { encodeRecoveryItem, encodeRecoveryMarker } from '../../../services/shared/recovery/recovery-records.js';

const sub = 'sub_a';
const logger = createLogger('test', { level: 'error', write: () => undefined });
const value = (seq: number): Buffer => encodeDeliveryItem({
  subscriptionId: sub, kind: 'gps', vehicleId: 'veh_1', seq, recordTimeMs: 1_700_000_000_000, origin: { topic: 'telemetry.gps', partition: 0, offset: String(seq) },
}, '{}');

const recoveryItem = (offset: number, seq: number, recoveryId = 'rcv_1'): FetchedMessage => ({ offset: String(offset), key: Buffer.from(sub), ...encodeRecoveryItem(recoveryId, { deliveriesOffset: String(seq), value: value(seq) }) });
const marker = (offset: number, first: number, last: number, items: number, recoveryId = 'rcv_1'): FetchedMessage => ({
  offset: String(offset), key: Buffer.from(sub), ...encodeRecoveryMarker(recoveryId, { firstOffset: String(first), lastOffset: String(last), items, auditEpisodeId: 'pke_old' }),
});
const liveItem = (offset: number, seq: number, episodeId = 'rcv_1'): FetchedMessage => ({ offset: String(offset), key: Buffer.from(sub), ...encodeParkedRecord({ kind: 'item', episodeId, deliveriesOffset: String(seq), value: value(seq) }) });

describe('recovery records: what the admin API writes is what the dispatcher reads', () => {
  it('decodes a recovery item and a marker written by the shared encoder', () => {
    const i = encodeRecoveryItem('rcv_1', { deliveriesOffset: '42', value: Buffer.from('{"x":1}') });
    expect(decodeParkedRecord(i.value, i.headers)).toEqual({ kind: 'record', record: { kind: 'recovery-item', episodeId: 'rcv_1', deliveriesOffset: '42', value: Buffer.from('{"x":1}') } });
    const m = encodeRecoveryMarker('rcv_1', { firstOffset: '3', lastOffset: '9', items: 5, auditEpisodeId: 'pke_9' });
    expect(decodeParkedRecord(m.value, m.headers)).toEqual({ kind: 'record', record: { kind: 'recovery', episodeId: 'rcv_1', firstOffset: '3', lastOffset: '9', items: 5, auditEpisodeId: 'pke_9' } });
    const round = encodeParkedRecord({ kind: 'recovery', episodeId: 'rcv_1', firstOffset: '3', lastOffset: '9', items: 5, auditEpisodeId: 'pke_9' });
    expect(round).toEqual(m);
  });

  it('refuses a marker whose range is backwards, empty or without its audit episode', () => {
    for (const bad of [{ firstOffset: '9', lastOffset: '3', items: 1, auditEpisodeId: 'e' }, { firstOffset: '3', lastOffset: '9', items: 0, auditEpisodeId: 'e' }, { firstOffset: 'x', lastOffset: '9', items: 1 }]) {
      const headers = { 'fleethook-parked-kind': 'recovery', 'fleethook-episode': 'rcv_1' };
      expect(decodeParkedRecord(Buffer.from(JSON.stringify(bad)), headers).kind).toBe('invalid');
    }
  });
});

describe('parking book: a recovery', () => {
  it('begins draining with its items as the backlog, once, and never over an open episode', () => {
    const book = new ParkingBook();
    expect(book.beginRecovery(sub, { episodeId: 'rcv_1', markerOffset: 20n, first: 10n, last: 14n, items: 3 })).toBe(true);
    expect(book.get(sub)).toMatchObject({ episodeId: 'rcv_1', phase: 'draining', cursor: 9n, seenThrough: 14n, queuedThrough: 9n, backlog: 3, beginAt: 20n });
    expect(book.floor()).toBe(10n);
    expect(book.beginRecovery(sub, { episodeId: 'rcv_1', markerOffset: 20n, first: 10n, last: 14n, items: 3 })).toBe(false);
    expect(book.isRecoveryItem(sub, 'rcv_1', 10n)).toBe(true);
    expect(book.isRecoveryItem(sub, 'rcv_1', 15n)).toBe(false);
    expect(book.isRecoveryItem(sub, 'rcv_0', 12n)).toBe(false);
    const parked = new ParkingBook();
    parked.begin(sub, { episodeId: 'pke_1', markerOffset: 5n, headOffsets: [1] });
    expect(parked.beginRecovery(sub, { episodeId: 'rcv_1', markerOffset: 20n, first: 10n, last: 14n, items: 3 })).toBe(false);
    expect(parked.get(sub)?.episodeId).toBe('pke_1');
  });

  it('a repark during the drain keeps the recovery range and its marker readable for a rebuild', () => {
    const book = new ParkingBook();
    book.beginRecovery(sub, { episodeId: 'rcv_1', markerOffset: 20n, first: 10n, last: 14n, items: 3 });
    book.finished(sub, 11n, 1);
    book.begin(sub, { episodeId: 'pke_2', markerOffset: 30n, headOffsets: [], backlogAfter: 11n, inHead: [12n] });
    expect(book.get(sub)).toMatchObject({ episodeId: 'pke_2', cursor: 11n, recovery: { episodeId: 'rcv_1', first: 10n, last: 14n, markerAt: 20n } });
    expect(book.isRecoveryItem(sub, 'rcv_1', 14n)).toBe(true);
    expect(book.floor()).toBe(12n);
    book.finished(sub, 13n, 1);
    // The floor follows the cursor a rebuild would restore: not moved until its progress marker is acknowledged.
    expect(book.floor()).toBe(12n);
    book.progressWritten(sub, 'pke_2', 13n);
    // The marker (20) follows the items: a rebuild from the cursor reads it again.
    expect(book.floor()).toBe(14n);
    const ended = new ParkingBook();
    ended.beginRecovery(sub, { episodeId: 'rcv_1', markerOffset: 20n, first: 10n, last: 14n, items: 3 });
    expect(ended.end(sub, 'rcv_1', 21n)).toBe(true);
    expect(ended.beginRecovery(sub, { episodeId: 'rcv_1', markerOffset: 20n, first: 10n, last: 14n, items: 3 })).toBe(false);
  });
});

function recorder(): { sink: DrainSink; drained: number[]; seeks: string[]; control: PartitionControl } {
  const drained: number[] = [];
  const seeks: string[] = [];
  const sink: DrainSink = {
    openOf: () => 0, register: () => undefined, resetQueued: () => undefined, flush: () => undefined, finished: () => undefined, check: () => undefined, checkAll: () => undefined,
    startClosing: () => undefined, audit: (_p: number, _s: string, items: readonly AuditItem[]) => drained.push(...items.map((i) => -Number(i.parkedOffset))),
    add: (_p, _id, parkedOffset) => void drained.push(Number(parkedOffset)),
  };
  const control: PartitionControl = { pause: () => undefined, resume: () => undefined, seek: (topic, partition, offset) => seeks.push(`${topic}/${partition}@${offset}`) };
  return { sink, drained, seeks, control };
}

const batch = (messages: FetchedMessage[]): { topic: string; partition: number; highWatermark: string; messages: FetchedMessage[] } => ({ topic: 'p', partition: 0, highWatermark: '100', messages });

describe('ParkedLogReader: a recovery', () => {
  it('passes over the items until their marker, then drains them in order, then the live items appended behind it', async () => {
    const r = recorder();
    const gen = new DeliveryGeneration(1, [0], 10, new Map(), logger);
    const reader = new ParkedLogReader({ deliveriesTopic: 'd', parkedTopic: 'p', maxOpenItemsPerPartition: 1_000, logger }, gen, r.control, r.sink);
    await reader.startScan({ ends: async () => [{ partition: 0, low: '0', high: '0' }], committed: async () => new Map() }, async () => undefined);
    // An orphan of an attempt that never wrote its marker (offset 0), the items (1, 2, 4), another subscription's record between them, the marker.
    const foreign: FetchedMessage = { ...liveItem(3, 99, 'pke_x'), key: Buffer.from('sub_b') };
    await reader.handleBatch(batch([recoveryItem(0, 5, 'rcv_0'), recoveryItem(1, 6), recoveryItem(2, 7), foreign, recoveryItem(4, 8)]), () => true);
    expect(r.drained).toEqual([]);
    expect(gen.book(0).get(sub)).toBeUndefined();
    await reader.handleBatch(batch([marker(5, 1, 4, 3), liveItem(6, 200)]), () => true);
    expect(r.seeks).toEqual(['p/0@1']);
    await reader.handleBatch(batch([recoveryItem(1, 6), recoveryItem(2, 7), foreign, recoveryItem(4, 8), marker(5, 1, 4, 3), liveItem(6, 200)]), () => true);
    expect(r.drained).toEqual([1, 2, 4, 6]);
  });
});
