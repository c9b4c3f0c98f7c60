import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../services/shared/bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps at most maxEntries, evicting the least recently used', () => {
    const c = new BoundedCache<number, string>(2);
    c.set(1, 'a');
    c.set(2, 'b');
    expect(c.get(1)).toBe('a'); // 2 is now the least recently used
    c.set(3, 'c');
    expect([c.get(1), c.get(2), c.get(3), c.size]).toEqual(['a', undefined, 'c', 2]);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const c = new BoundedCache<number, true>(100);
    for (let i = 0; i < 100_000; i++) c.set(i, true);
    expect(c.size).toBe(100);
    expect(c.get(99_999)).toBe(true);
    expect(c.get(0)).toBeUndefined();
  });

  it('expires entries after their ttl', () => {
    let now = 0;
    const c = new BoundedCache<string, number>(10, () => now);
    c.set('unknown', 1, 60_000);
    c.set('kept', 2);
    now = 59_999;
    expect(c.get('unknown')).toBe(1);
    now = 60_000;
    expect([c.get('unknown'), c.get('kept'), c.size]).toEqual([undefined, 2, 1]);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
    expect(() => new BoundedCache(1.5)).toThrow(RangeError);
  });
});
