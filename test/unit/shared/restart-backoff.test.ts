import { describe, expect, it } from 'vitest';
import { restartDelayMs } from '../../../services/shared/supervision/restart-backoff.js';

describe('restartDelayMs', () => {
  const policy = { initialMs: 1_000, maxMs: 30_000 };
  it.each([
    [1, 0.5, 1_000], [2, 0.5, 2_000], [3, 0.5, 4_000], [5, 0.5, 16_000], [6, 0.5, 30_000], [500, 0.5, 30_000],
    [1, 0, 800], [1, 1, 1_200], [6, 1, 30_000], [0, 0.5, 1_000], [-3, 0.5, 1_000],
  ])('attempt %i with random %f waits %i ms', (attempt, r, expected) => {
    expect(restartDelayMs(policy, attempt, () => r)).toBe(expected);
  });
});
