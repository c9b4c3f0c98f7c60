import { describe, expect, it } from 'vitest';
import { BatchAccumulator } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { pending } from './dispatcher-fixtures.js';

const policy = { maxItems: 3, maxWaitMs: 1_000 };

describe('BatchAccumulator', () => {
  it('closes a batch before it would carry more item bytes than the cap; the item that did not fit opens the next one', () => {
    const acc = new BatchAccumulator({ maxBatchBytes: 1_000 });
    const sized = (offset: number, bytes: number) => ({ ...pending(offset), value: Buffer.alloc(bytes) });
    const big = { maxItems: 500, maxWaitMs: 1_000 };
    expect(acc.add(sized(1, 400), big, 0)).toBeNull();
    expect(acc.add(sized(2, 400), big, 0)).toBeNull();
    const closed = acc.add(sized(3, 400), big, 0);
    expect(closed?.items.map((p) => p.offset)).toEqual([1, 2]);
    expect(closed?.reason).toBe('full');
    expect(acc.openItems).toBe(1);
    // One item over the cap travels alone.
    expect(acc.add(sized(4, 5_000), big, 0)?.items.map((p) => p.offset)).toEqual([3]);
    expect(acc.add(sized(5, 10), big, 0)?.items.map((p) => p.offset)).toEqual([4]);
    expect(acc.drain().map((b) => b.items.map((p) => p.offset))).toEqual([[5]]);
  });

  it('counts the window from when the first item was queued: items read again a window later go at the next tick, together', () => {
    const acc = new BatchAccumulator();
    const big = { maxItems: 100, maxWaitMs: 1_000 };
    // Queued at 0, read at 5_000 (after a hand-over): the batch gathers what is read with it, then goes.
    expect(acc.add({ ...pending(1), queuedAtMs: 0 }, big, 5_000)).toBeNull();
    expect(acc.add({ ...pending(2), queuedAtMs: 100 }, big, 5_000)).toBeNull();
    expect(acc.due(5_049)).toEqual([]);
    const [closed] = acc.due(5_050);
    expect(closed?.items.map((p) => p.offset)).toEqual([1, 2]);
    expect(closed?.openedAtMs).toBe(0);
    // Queued 400 ms before it is read: waits the rest of its window.
    acc.add({ ...pending(3), queuedAtMs: 4_600 }, big, 5_000);
    expect(acc.due(5_599)).toEqual([]);
    expect(acc.due(5_600).map((b) => b.items.map((p) => p.offset))).toEqual([[3]]);
    // A queue time ahead of this clock counts as now.
    acc.add({ ...pending(4), queuedAtMs: 9_000 }, big, 6_000);
    expect(acc.due(6_999)).toEqual([]);
    expect(acc.due(7_000)[0]?.openedAtMs).toBe(6_000);
    // No wait asked: it goes at once, read again or not.
    expect(acc.add({ ...pending(5), queuedAtMs: 0 }, { maxItems: 10, maxWaitMs: 0 }, 8_000)?.items).toHaveLength(1);
  });

  it('closes a batch when it reaches maxItems', () => {
    const acc = new BatchAccumulator();
    expect(acc.add(pending(1), policy, 0)).toBeNull();
    expect(acc.add(pending(2), policy, 0)).toBeNull();
    const closed = acc.add(pending(3), policy, 0);
    expect(closed?.items.map((p) => p.offset)).toEqual([1, 2, 3]);
    expect(closed?.reason).toBe('full');
    expect(acc.openItems).toBe(0);
  });

  it('closes a batch maxWaitMs after its first item, even with nothing new arriving', () => {
    const acc = new BatchAccumulator();
    acc.add(pending(1), policy, 100);
    acc.add(pending(2), policy, 900);
    expect(acc.due(1_099)).toEqual([]);
    const [closed] = acc.due(1_100);
    expect(closed?.items.map((p) => p.offset)).toEqual([1, 2]);
    expect(closed?.reason).toBe('time');
    expect(closed?.openedAtMs).toBe(100);
  });

  it('spreads deadlines of streams opened together over the configured share, never past maxWaitMs', () => {
    const acc = new BatchAccumulator({ deadlineSpreadShare: 0.2 });
    for (let v = 0; v < 200; v++) acc.add(pending(v, { vehicle: `veh_${v}` }), policy, 0);
    expect(acc.due(799)).toEqual([]);
    const early = acc.due(900).length;
    expect(early).toBeGreaterThan(50);
    expect(early).toBeLessThan(150);
    expect(acc.due(1_000).length).toBe(200 - early);
  });

  it('gives a stream the same deadline every time', () => {
    const acc = new BatchAccumulator({ deadlineSpreadShare: 0.2 });
    acc.add(pending(1, { vehicle: 'veh_x' }), policy, 0);
    const closedAt = (from: number): number => {
      for (let t = from; t <= from + 200; t++) if (acc.due(t).length > 0) return t;
      return -1;
    };
    const once = closedAt(800);
    acc.add(pending(2, { vehicle: 'veh_x' }), policy, 5_000);
    expect(closedAt(5_800)).toBe(once + 5_000);
  });

  it('keeps one vehicle per GPS batch', () => {
    const acc = new BatchAccumulator();
    acc.add(pending(1, { vehicle: 'veh_a' }), policy, 0);
    acc.add(pending(2, { vehicle: 'veh_b' }), policy, 0);
    acc.add(pending(3, { vehicle: 'veh_a' }), policy, 0);
    const batches = acc.due(1_000);
    expect(batches.map((b) => b.items.map((p) => p.item.vehicleId))).toEqual([['veh_a', 'veh_a'], ['veh_b']]);
  });

  it('mixes vehicles in DTC batches', () => {
    const acc = new BatchAccumulator();
    acc.add(pending(1, { kind: 'dtc', vehicle: 'veh_a' }), policy, 0);
    acc.add(pending(2, { kind: 'dtc', vehicle: 'veh_b' }), policy, 0);
    const closed = acc.add(pending(3, { kind: 'dtc', vehicle: 'veh_c' }), policy, 0);
    expect(closed?.items.map((p) => p.item.vehicleId)).toEqual(['veh_a', 'veh_b', 'veh_c']);
  });

  it('sends events one per request with the event default (maxItems 1, no wait)', () => {
    const acc = new BatchAccumulator();
    const closed = acc.add(pending(1, { kind: 'event' }), { maxItems: 1, maxWaitMs: 0 }, 0);
    expect(closed?.items).toHaveLength(1);
  });

  it('keeps subscriptions apart and returns due batches oldest deadline first', () => {
    const acc = new BatchAccumulator();
    acc.add(pending(1, { sub: 'sub_b', kind: 'dtc' }), policy, 50);
    acc.add(pending(2, { sub: 'sub_a', kind: 'dtc' }), policy, 10);
    expect(acc.due(2_000).map((b) => b.subscriptionId)).toEqual(['sub_a', 'sub_b']);
  });

  it('clear() forgets everything open', () => {
    const acc = new BatchAccumulator();
    acc.add(pending(1), policy, 0);
    acc.clear();
    expect(acc.openItems).toBe(0);
    expect(acc.due(10_000)).toEqual([]);
  });
});
