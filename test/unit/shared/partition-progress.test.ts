import { describe, expect, it } from 'vitest';
import { PartitionProgress } from '../../../services/shared/supervision/partition-progress.js';

const t = 'telemetry.gps';
const at = (partition: number, committed: number, high: number) => ({ topic: t, partition, committed, high });

describe('PartitionProgress', () => {
  it('reports a partition with lag and no commit for longer than the bound, and clears it once it commits', () => {
    const p = new PartitionProgress(1_000);
    expect(p.observe(0, [at(0, 10, 20)])).toEqual([]);
    expect(p.observe(1_000, [at(0, 10, 20)])).toEqual([]);
    expect(p.observe(1_001, [at(0, 10, 21)])).toEqual([{ topic: t, partition: 0, lag: 11, stalledForMs: 1_001 }]);
    expect(p.observe(1_500, [at(0, 11, 21)])).toEqual([]);
    expect(p.observe(2_400, [at(0, 11, 21)])).toEqual([]);
    expect(p.observe(2_501, [at(0, 11, 21)])).toHaveLength(1);
  });

  it('never reports an idle partition (lag 0), however long it waits, and times a stall from when it was last seen idle', () => {
    const p = new PartitionProgress(1_000);
    expect(p.observe(0, [at(0, 5, 5)])).toEqual([]);
    expect(p.observe(60_000, [at(0, 5, 5)])).toEqual([]);
    expect(p.observe(60_500, [at(0, 5, 6)])).toEqual([]);
    expect(p.observe(61_000, [at(0, 5, 6)])).toEqual([]);
    expect(p.observe(61_001, [at(0, 5, 6)])).toEqual([{ topic: t, partition: 0, lag: 1, stalledForMs: 1_001 }]);
  });

  it('without a committed offset, counts only records that arrived since it first looked', () => {
    const p = new PartitionProgress(1_000);
    expect(p.observe(0, [at(0, -1, 500)])).toEqual([]);
    expect(p.observe(5_000, [at(0, -1, 500)])).toEqual([]);
    expect(p.observe(5_100, [at(0, -1, 502)])).toEqual([]);
    expect(p.observe(6_000, [at(0, -1, 502)])).toEqual([]);
    expect(p.observe(6_200, [at(0, -1, 502)])).toEqual([{ topic: t, partition: 0, lag: 2, stalledForMs: 1_200 }]);
    expect(p.observe(6_300, [at(0, 502, 502)])).toEqual([]);
  });

  it('forgets partitions no longer assigned, and judges each partition on its own', () => {
    const p = new PartitionProgress(1_000);
    p.observe(0, [at(0, 1, 9), at(1, 1, 9)]);
    expect(p.observe(2_000, [at(0, 1, 9), at(1, 2, 9)]).map((s) => s.partition)).toEqual([0]);
    expect(p.observe(2_100, [at(1, 2, 9)])).toEqual([]);
    expect(p.observe(2_200, [at(0, 1, 9)])).toEqual([]); // seen again: a fresh start
  });
});
