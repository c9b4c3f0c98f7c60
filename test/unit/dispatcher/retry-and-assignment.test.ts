import { describe, expect, it } from 'vitest';
import { planCoPartitioned } from '../../../services/shared/kafka/co-partitioned-plan.js';
import { retryDelayMs } from '../../../services/dispatcher/deliver/retry-delay.js';

describe('retryDelayMs', () => {
  const policy = { quickDelaysMs: [100, 500, 2_000], maxDelayMs: 30_000 };
  it.each([
    [0, undefined, 100],
    [1, undefined, 500],
    [2, undefined, 2_000],
    [3, undefined, 4_000],
    [4, undefined, 8_000],
    [6, undefined, 30_000],
    [50, undefined, 30_000],
    [0, 5_000, 5_000],
    [10, 120_000, 120_000],
  ])('attempt %i with Retry-After %s waits %i ms', (attempt, retryAfter, expected) => {
    expect(retryDelayMs(attempt, policy, retryAfter)).toBe(expected);
  });
});

describe('planCoPartitioned', () => {
  it('gives partition N of every topic to the same member', () => {
    const plan = planCoPartitioned(['m-b', 'm-a', 'm-c'], { deliveries: [0, 1, 2, 3, 4, 5], 'retry.5m': [5, 4, 3, 2, 1, 0], parked: [0, 1, 2, 3, 4, 5] });
    for (const [, assignment] of plan) {
      const owned = Object.values(assignment);
      expect(owned).toHaveLength(3);
      for (const partitions of owned) expect(partitions).toEqual(owned[0]);
    }
    expect(plan.get('m-a')?.deliveries).toEqual([0, 3]);
    expect(plan.get('m-b')?.deliveries).toEqual([1, 4]);
  });

  it('assigns nothing to members beyond the partition count', () => {
    const plan = planCoPartitioned(['a', 'b', 'c'], { t: [0, 1] });
    expect(plan.get('c')).toEqual({});
  });
});
