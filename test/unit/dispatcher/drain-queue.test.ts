import { describe, expect, it } from 'vitest';
import type { ClosedBatch } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { DrainQueue } from '../../../services/dispatcher/parking/drain-queue.js';
import type { ItemKind } from '../../../services/dispatcher/delivery-item.js';

let offset = 0;
/** A drain batch of `count` items of one vehicle (GPS) or of a subscription (dtc), `bytes` per item value. */
function batch(kind: ItemKind, vehicleId: string, count: number, bytes = 10): ClosedBatch {
  const items = Array.from({ length: count }, () => {
    offset++;
    return {
      item: { subscriptionId: 'sub_a', kind, vehicleId, seq: offset, recordTimeMs: 0, origin: { topic: 'telemetry.gps', partition: 0, offset: String(offset) }, dataJson: '{}' },
      partition: 0, offset, value: Buffer.alloc(bytes), parkedOffset: BigInt(offset),
    };
  });
  return { subscriptionId: 'sub_a', kind, items, reason: 'full' };
}

const seqs = (b: ClosedBatch | null): (number | null)[] => b?.items.map((p) => p.item.seq) ?? [];

describe('DrainQueue: a drain request is made up when its task starts', () => {
  it('takes the later batches of the same GPS vehicle, in order, and leaves other vehicles where they are', () => {
    const q = new DrainQueue();
    const a1 = batch('gps', 'veh_a', 1); const b1 = batch('gps', 'veh_b', 1); const a2 = batch('gps', 'veh_a', 2); const b2 = batch('gps', 'veh_b', 1); const a3 = batch('gps', 'veh_a', 1);
    for (const b of [a1, b1, a2, b2, a3]) q.push(b);
    expect(seqs(q.take(a1, 100))).toEqual([...seqs(a1), ...seqs(a2), ...seqs(a3)]);
    expect(q.take(a2, 100)).toBeNull();
    expect(seqs(q.take(b1, 100))).toEqual([...seqs(b1), ...seqs(b2)]);
    expect(q.take(b2, 100)).toBeNull();
    expect(q.take(a3, 100)).toBeNull();
    expect(q.size).toBe(0);
  });

  it('never exceeds maxItems, and stops at the first batch that does not fit so nothing passes it', () => {
    const q = new DrainQueue();
    const x = batch('dtc', 'veh_a', 3); const y = batch('dtc', 'veh_b', 4); const z = batch('dtc', 'veh_c', 1);
    for (const b of [x, y, z]) q.push(b);
    expect(seqs(q.take(x, 5))).toEqual(seqs(x));
    expect(seqs(q.take(y, 5))).toEqual([...seqs(y), ...seqs(z)]);
    expect(q.take(z, 5)).toBeNull();
  });

  it('keeps a request under the byte cap', () => {
    const q = new DrainQueue(250);
    const x = batch('gps', 'veh_a', 1, 100); const y = batch('gps', 'veh_a', 1, 100); const z = batch('gps', 'veh_a', 1, 100);
    for (const b of [x, y, z]) q.push(b);
    expect(seqs(q.take(x, 500))).toEqual([...seqs(x), ...seqs(y)]);
    expect(seqs(q.take(z, 500))).toEqual(seqs(z));
  });

  it('an earlier owner\'s request (exact) is neither merged into nor merges others, and keeps its place in its stream', () => {
    const q = new DrainQueue();
    const x = batch('gps', 'veh_a', 1); const e = { ...batch('gps', 'veh_a', 2), exact: true }; const y = batch('gps', 'veh_a', 1); const z = batch('gps', 'veh_a', 1);
    for (const b of [x, e, y, z]) q.push(b);
    expect(seqs(q.take(x, 100))).toEqual(seqs(x));
    expect(q.take(e, 100)).toBe(e);
    expect(seqs(q.take(y, 100))).toEqual([...seqs(y), ...seqs(z)]);
  });

  it('takes only the batch itself when no merge is asked (the subscription is not draining)', () => {
    const q = new DrainQueue();
    const x = batch('gps', 'veh_a', 1); const y = batch('gps', 'veh_a', 1);
    q.push(x); q.push(y);
    expect(q.take(x, null)).toBe(x);
    expect(q.take(y, null)).toBe(y);
    expect(q.take(y, null)).toBeNull();
  });
});
