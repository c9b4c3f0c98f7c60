import { describe, expect, it } from 'vitest';
import type { PendingItem } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { ExactRequests } from '../../../services/dispatcher/parking/exact-requests.js';

const entry = (subscriptionId: string, offset: number): PendingItem => ({
  partition: 0, offset, parkedOffset: BigInt(offset + 100),
  item: { subscriptionId, kind: 'gps', vehicleId: 'veh_1', seq: offset, recordTimeMs: 0, origin: { topic: 't', partition: 0, offset: String(offset) }, dataJson: '{}' },
});

describe('ExactRequests: an earlier owner\'s request gathered from the backlog goes as it was', () => {
  it('closes a request once all its items are there, as one exact batch in their order', () => {
    const g = new ExactRequests(1_000);
    expect(g.add(entry('sub_a', 7), { first: '7', items: 3 }, 0)).toBeNull();
    expect(g.add(entry('sub_b', 7), { first: '7', items: 1 }, 0)?.items.map((p) => p.item.subscriptionId)).toEqual(['sub_b']);
    expect(g.add(entry('sub_a', 9), { first: '7', items: 3 }, 0)).toBeNull();
    const whole = g.add(entry('sub_a', 12), { first: '7', items: 3 }, 0);
    expect(whole?.items.map((p) => p.offset)).toEqual([7, 9, 12]);
    expect(whole?.exact).toBe(true);
    expect(g.due(10_000)).toEqual([]);
  });

  it('a request whose other items never come (an append cut by a crash) goes with what it has after the wait', () => {
    const g = new ExactRequests(1_000);
    g.add(entry('sub_a', 7), { first: '7', items: 3 }, 0);
    expect(g.due(999)).toEqual([]);
    expect(g.due(1_000).map((b) => b.items.map((p) => p.offset))).toEqual([[7]]);
    expect(g.due(5_000)).toEqual([]);
  });
});
