import { describe, expect, it } from 'vitest';
import { summariseBacklogs } from '../../../services/dispatcher/parking/backlog-depth.js';

const now = Date.parse('2026-12-01T12:00:00Z');

describe('summariseBacklogs', () => {
  it('is zero for every phase when nothing is parked', () => {
    expect(summariseBacklogs([], now)).toEqual({
      subscriptions: { parked: 0, draining: 0, closing: 0 }, items: { parked: 0, draining: 0, closing: 0 }, oldestParkedSeconds: 0,
    });
  });

  it('counts subscriptions and items per phase, and the oldest episode\u2019s age', () => {
    const depth = summariseBacklogs([
      { phase: 'parked', backlogItems: 120, firstFailureAtMs: now - 3_600_000 },
      { phase: 'parked', backlogItems: 5, firstFailureAtMs: now - 60_000 },
      { phase: 'draining', backlogItems: 40, firstFailureAtMs: now - 7_200_000 },
      { phase: 'closing', backlogItems: 0, firstFailureAtMs: null },
    ], now);
    expect(depth.subscriptions).toEqual({ parked: 2, draining: 1, closing: 1 });
    expect(depth.items).toEqual({ parked: 125, draining: 40, closing: 0 });
    expect(depth.oldestParkedSeconds).toBe(7_200);
  });

  it('counts a subscription with an unknown or invalid size or time, without its items or age', () => {
    const depth = summariseBacklogs([
      { phase: 'parked', backlogItems: null, firstFailureAtMs: null },
      { phase: 'parked', backlogItems: Number.NaN, firstFailureAtMs: Number.NaN },
      { phase: 'draining', backlogItems: -3, firstFailureAtMs: now + 60_000 },
    ], now);
    expect(depth.subscriptions).toEqual({ parked: 2, draining: 1, closing: 0 });
    expect(depth.items).toEqual({ parked: 0, draining: 0, closing: 0 });
    expect(depth.oldestParkedSeconds).toBe(0);
  });
});
