import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../../services/dispatcher/replay/token-bucket.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('hands out the burst at once, then one token per 1/rate, in order; an aborted wait rejects', async () => {
    vi.useFakeTimers();
    let t = 0;
    const bucket = new TokenBucket(10, 2, () => t);
    const got: number[] = [];
    await bucket.take();
    await bucket.take();
    const third = bucket.take().then(() => got.push(3));
    const fourth = bucket.take().then(() => got.push(4));
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toEqual([]);
    t = 100;
    await vi.advanceTimersByTimeAsync(100);
    expect(got).toEqual([3]);
    t = 200;
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all([third, fourth]);
    expect(got).toEqual([3, 4]);
    const stop = new AbortController();
    stop.abort();
    await expect(bucket.take(stop.signal)).rejects.toThrow('aborted');
  });
});
