import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../../services/dispatcher/live/offset-tracker.js';

describe('OffsetTracker', () => {
  it('commits nothing before anything is read', () => {
    expect(new OffsetTracker().committable()).toBeNull();
  });

  it('holds the watermark at the first unfinished offset', () => {
    const t = new OffsetTracker();
    [10, 11, 12, 13].forEach((o) => t.register(o));
    expect(t.committable()).toBe(10);
    t.complete(11);
    t.complete(12);
    expect(t.committable()).toBe(10);
    expect(t.open).toBe(2);
    t.complete(10);
    expect(t.committable()).toBe(13);
    t.complete(13);
    expect(t.committable()).toBe(14);
    expect(t.open).toBe(0);
  });

  it('handles gaps in offsets (compaction, transaction markers)', () => {
    const t = new OffsetTracker();
    [5, 9, 20].forEach((o) => t.register(o));
    t.complete(5);
    expect(t.committable()).toBe(9);
    t.complete(20);
    t.complete(9);
    expect(t.committable()).toBe(21);
  });

  it('refuses out-of-order registration and ignores completions below the watermark', () => {
    const t = new OffsetTracker();
    t.register(3);
    expect(() => t.register(3)).toThrow(RangeError);
    t.complete(3);
    t.complete(1);
    expect(t.committable()).toBe(4);
    expect(t.open).toBe(0);
  });

  it('stays correct over many offsets completed in random order', () => {
    const t = new OffsetTracker();
    const offsets = Array.from({ length: 5_000 }, (_, i) => i * 2);
    offsets.forEach((o) => t.register(o));
    const shuffled = [...offsets].sort(() => Math.random() - 0.5);
    const done = new Set<number>();
    for (const o of shuffled) {
      t.complete(o);
      done.add(o);
      const firstOpen = offsets.find((x) => !done.has(x));
      expect(t.committable()).toBe(firstOpen ?? 9_999);
    }
  });
});
