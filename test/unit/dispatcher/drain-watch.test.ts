import { describe, expect, it } from 'vitest';
import { DrainWatch } from '../../../services/dispatcher/parking/drain-watch.js';
import type { DrainProgress } from '../../../services/dispatcher/parking/drain-watch.js';

const drain = (cursor: bigint, over: Partial<DrainProgress> = {}): DrainProgress => ({ partition: 0, subscriptionId: 'sub_a', episodeId: 'pke_1', cursor, finishedItems: 0, ...over });

describe('DrainWatch', () => {
  it('reports a drain whose cursor stood still for the bound, once per bound while it stays still', () => {
    const w = new DrainWatch(60_000);
    expect(w.observe([drain(10n)], 0)).toEqual([]);
    expect(w.observe([drain(10n)], 59_999)).toEqual([]);
    expect(w.observe([drain(10n)], 60_000)).toEqual([{ ...drain(10n), stillForMs: 60_000 }]);
    expect(w.observe([drain(10n)], 90_000)).toEqual([]);
    expect(w.stalled).toBe(1);
    expect(w.observe([drain(10n)], 120_000)).toEqual([{ ...drain(10n), stillForMs: 120_000 }]);
    expect(w.observe([drain(11n)], 130_000)).toEqual([]);
    expect(w.stalled).toBe(0);
  });

  it('never reports a drain that finishes items while its gap-free cursor stands still (GPS drains go vehicle by vehicle)', () => {
    const w = new DrainWatch(60_000);
    for (let t = 0, n = 0; t <= 600_000; t += 50_000, n += 100) expect(w.observe([drain(10n, { finishedItems: n })], t)).toEqual([]);
    expect(w.stalled).toBe(0);
  });

  it('never reports a drain that is slow but moving', () => {
    const w = new DrainWatch(60_000);
    for (let t = 0, c = 0n; t <= 600_000; t += 50_000, c += 1n) expect(w.observe([drain(c)], t)).toEqual([]);
    expect(w.stalled).toBe(0);
  });

  it('starts counting afresh for a new episode, and forgets a drain that ended', () => {
    const w = new DrainWatch(60_000);
    w.observe([drain(10n)], 0);
    expect(w.observe([drain(10n, { episodeId: 'pke_2' })], 60_000)).toEqual([]);
    expect(w.observe([], 70_000)).toEqual([]);
    expect(w.observe([drain(10n, { episodeId: 'pke_2' })], 125_000)).toEqual([]);
    expect(w.observe([drain(10n, { episodeId: 'pke_2' })], 185_000)).toHaveLength(1);
  });

  it('keeps subscriptions and partitions apart', () => {
    const w = new DrainWatch(1_000);
    w.observe([drain(1n), drain(1n, { subscriptionId: 'sub_b' }), drain(1n, { partition: 1 })], 0);
    const stalled = w.observe([drain(2n), drain(1n, { subscriptionId: 'sub_b' }), drain(1n, { partition: 1 })], 1_000);
    expect(stalled.map((s) => `${s.partition}/${s.subscriptionId}`)).toEqual(['0/sub_b', '1/sub_a']);
  });
});
