import { describe, expect, it } from 'vitest';
import type { AuditItem } from '../../../services/dispatcher/parking/backlog-drain.js';
import { DeliveryGeneration } from '../../../services/dispatcher/live/delivery-generation.js';
import type { FetchedMessage, PartitionControl } from '../../../services/dispatcher/live/delivery-generation.js';
import { encodeDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { OffsetTracker } from '../../../services/dispatcher/live/offset-tracker.js';
import { ParkedLogReader } from '../../../services/dispatcher/parking/parked-log-reader.js';
import type { DrainSink } from '../../../services/dispatcher/parking/parked-log-reader.js';
import { encodeParkedRecord } from '../../../services/dispatcher/parking/parked-record.js';
import type { ParkedRecord } from '../../../services/dispatcher/parking/parked-record.js';
import { createLogger } from '../../../services/shared/logger.js';

const sub = 'sub_a';
const logger = createLogger('test', { level: 'error', write: () => undefined });

function message(offset: number, record: ParkedRecord): FetchedMessage {
  return { offset: String(offset), key: Buffer.from(sub), ...encodeParkedRecord(record) };
}

function item(offset: number, deliveriesOffset: number): FetchedMessage {
  const value = encodeDeliveryItem({
    subscriptionId: sub, kind: 'gps', vehicleId: 'veh_1', seq: deliveriesOffset, recordTimeMs: 1_700_000_000_000, origin: { topic: 'telemetry.gps', partition: 0, offset: String(deliveriesOffset) },
  }, '{}');
  return message(offset, { kind: 'item', episodeId: 'pke_1', deliveriesOffset: String(deliveriesOffset), value });
}

/** Records what the reader hands on, and every seek. */
function recorder(): { sink: DrainSink; drained: number[]; seeks: string[]; control: PartitionControl } {
  const drained: number[] = [];
  const seeks: string[] = [];
  // Registration as the real drain does it: one tracker per subscription, reset when a new episode begins (a second registration throws).
  const queued = new Map<string, OffsetTracker>();
  const register = (id: string, o: bigint): void => {
    if (!queued.has(id)) queued.set(id, new OffsetTracker());
    queued.get(id)?.register(Number(o));
  };
  const sink: DrainSink = {
    openOf: () => 0, register, resetQueued: (id) => queued.delete(id), flush: () => undefined, finished: () => undefined, check: () => undefined, checkAll: () => undefined,
    startClosing: () => undefined, audit: (_p: number, _s: string, items: readonly AuditItem[]) => drained.push(...items.map((i) => Number(i.parkedOffset))),
    add: (_p, id, parkedOffset) => {
      register(id, parkedOffset);
      drained.push(Number(parkedOffset));
    },
  };
  const control: PartitionControl = { pause: () => undefined, resume: () => undefined, seek: (topic, partition, offset) => seeks.push(`${topic}/${partition}@${offset}`) };
  return { sink, drained, seeks, control };
}

async function wholeReader(r: ReturnType<typeof recorder>): Promise<ParkedLogReader> {
  const gen = new DeliveryGeneration(1, [0], 10, new Map(), logger);
  const reader = new ParkedLogReader({ deliveriesTopic: 'd', parkedTopic: 'p', maxOpenItemsPerPartition: 1_000, logger }, gen, r.control, r.sink);
  // An empty parked partition: whole at once.
  await reader.startScan({ ends: async () => [{ partition: 0, low: '0', high: '0' }], committed: async () => new Map() }, async () => undefined);
  return reader;
}

const batch = (messages: FetchedMessage[], highWatermark = 100): { topic: string; partition: number; highWatermark: string; messages: FetchedMessage[] } => ({ topic: 'p', partition: 0, highWatermark: String(highWatermark), messages });

describe('ParkedLogReader', () => {
  it('an item appended right after the recovered marker, in the same fetch, waits for the re-read instead of jumping the backlog', async () => {
    const r = recorder();
    const reader = await wholeReader(r);
    const begin: ParkedRecord = { kind: 'begin', episodeId: 'pke_1', headThroughOffset: '10', firstFailureAtMs: 1 };
    await reader.handleBatch(batch([message(0, begin), item(1, 11), item(2, 12), item(3, 13), message(4, { kind: 'recovered', episodeId: 'pke_1' }), item(5, 15)]), () => true);
    // Nothing drained yet: the backlog is read again from its cursor.
    expect(r.drained).toEqual([]);
    expect(r.seeks).toEqual(['p/0@1']);
    await reader.handleBatch(batch([item(1, 11), item(2, 12), item(3, 13), message(4, { kind: 'recovered', episodeId: 'pke_1' }), item(5, 15)]), () => true);
    expect(r.drained).toEqual([1, 2, 3, 5]);
  });

  it('items after the end of the scan, in the fetch that ends it, are drained in order after the re-read', async () => {
    const r = recorder();
    const gen = new DeliveryGeneration(1, [0], 10, new Map(), logger);
    const reader = new ParkedLogReader({ deliveriesTopic: 'd', parkedTopic: 'p', maxOpenItemsPerPartition: 1_000, logger }, gen, r.control, r.sink);
    await reader.startScan({ ends: async () => [{ partition: 0, low: '0', high: '5' }], committed: async () => new Map() }, async () => undefined);
    const begin: ParkedRecord = { kind: 'begin', episodeId: 'pke_1', headThroughOffset: '10', firstFailureAtMs: 1 };
    // The scan target is 5: the recovered marker and items 1–3 are read while scanning, item 5 after it, in one fetch.
    await reader.handleBatch(batch([message(0, begin), item(1, 11), item(2, 12), item(3, 13), message(4, { kind: 'recovered', episodeId: 'pke_1' }), item(5, 15)]), () => true);
    expect(r.drained).toEqual([]);
    expect(r.seeks.at(-1)).toBe('p/0@1');
    await reader.handleBatch(batch([item(1, 11), item(2, 12), item(3, 13), item(5, 15)]), () => true);
    expect(r.drained).toEqual([1, 2, 3, 5]);
  });

  it('a repark read back after part of the backlog was queued starts the drain afresh: the re-read items are queued once more, not refused', async () => {
    const r = recorder();
    const reader = await wholeReader(r);
    await reader.handleBatch(batch([message(0, { kind: 'begin', episodeId: 'pke_1', headThroughOffset: '10', firstFailureAtMs: 1 }), item(1, 11), item(2, 12), item(3, 13), item(4, 14), message(5, { kind: 'recovered', episodeId: 'pke_1' })]), () => true);
    await reader.handleBatch(batch([item(1, 11), item(2, 12), item(3, 13), item(4, 14), message(5, { kind: 'recovered', episodeId: 'pke_1' })]), () => true);
    expect(r.drained).toEqual([1, 2, 3, 4]);
    // The request of items 3 and 4 failed: a new episode with them as its head, the cursor at 2; then a live item and the new head's recovery.
    const repark: ParkedRecord = { kind: 'begin', episodeId: 'pke_2', headThroughOffset: '14', firstFailureAtMs: 2, backlogAfter: '2', headParkedOffsets: ['3', '4'] };
    await reader.handleBatch(batch([message(6, repark), item(7, 17), message(8, { kind: 'recovered', episodeId: 'pke_2' })]), () => true);
    expect(r.seeks.at(-1)).toBe('p/0@3');
    await reader.handleBatch(batch([item(3, 13), item(4, 14), message(5, { kind: 'recovered', episodeId: 'pke_1' }), message(6, repark), item(7, 17), message(8, { kind: 'recovered', episodeId: 'pke_2' })]), () => true);
    // 3 and 4 are the new head's (finished), 7 is drained.
    expect(r.drained).toEqual([1, 2, 3, 4, 7]);
  });

  it('a repark carries the items the old drain delivered above its cursor: the new episode does not drain them again', async () => {
    const r = recorder();
    const reader = await wholeReader(r);
    await reader.handleBatch(batch([message(0, { kind: 'begin', episodeId: 'pke_1', headThroughOffset: '10', firstFailureAtMs: 1 }), item(1, 11), item(2, 12), item(3, 13), item(4, 14), message(5, { kind: 'recovered', episodeId: 'pke_1' })]), () => true);
    await reader.handleBatch(batch([item(1, 11), item(2, 12), item(3, 13), item(4, 14), message(5, { kind: 'recovered', episodeId: 'pke_1' })]), () => true);
    // Items 1 and 3 (one vehicle) were delivered, 2 failed: the cursor stays at 1; 3 is finished above it, 2 is the new head.
    const repark: ParkedRecord = { kind: 'begin', episodeId: 'pke_2', headThroughOffset: '12', firstFailureAtMs: 2, backlogAfter: '1', headParkedOffsets: ['2'], finishedParkedOffsets: ['3'] };
    await reader.handleBatch(batch([message(6, repark), message(7, { kind: 'recovered', episodeId: 'pke_2' })]), () => true);
    expect(r.seeks.at(-1)).toBe('p/0@2');
    const before = r.drained.length;
    await reader.handleBatch(batch([item(2, 12), item(3, 13), item(4, 14), message(5, { kind: 'recovered', episodeId: 'pke_1' }), message(6, repark), message(7, { kind: 'recovered', episodeId: 'pke_2' })]), () => true);
    // Only 4 goes again to the drain: 2 is the head's and 3 was delivered.
    expect(r.drained.slice(before)).toEqual([4]);
  });
});
