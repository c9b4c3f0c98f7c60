import { describe, expect, it } from 'vitest';
import type { RetryPolicyName } from '../../../services/shared/subscriptions/subscription-types.js';
import { decideRetry, laneFor, retrySchedule } from '../../../services/dispatcher/retry/retry-policy.js';
import type { RetryDecision } from '../../../services/dispatcher/retry/retry-policy.js';

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;
const t0 = Date.parse('2026-11-23T12:00:00Z');

/** Runs a policy against an endpoint that never recovers: each retry fails the moment it is due. */
function wholeSchedule(name: RetryPolicyName, timeScale = 1, o: { scheduled?: boolean; firstFailureAtMs?: number } = {}): { retries: Array<[string, number]>; end: RetryDecision['kind'] } {
  const { policies, lanes } = retrySchedule(timeScale);
  const retries: Array<[string, number]> = [];
  const first = o.firstFailureAtMs ?? t0;
  let nowMs = first;
  let retryCount = 0;
  for (let guard = 0; guard < 100; guard += 1) {
    const d = decideRetry(policies[name], lanes, { firstFailureAtMs: first, retryCount, nowMs, scheduled: o.scheduled ?? false });
    if (d.kind !== 'retry') return { retries, end: d.kind };
    expect(d.dueAtMs).toBeGreaterThan(nowMs);
    retries.push([d.lane.name, d.dueAtMs - first]);
    nowMs = d.dueAtMs;
    retryCount = d.retryCount;
  }
  throw new Error('schedule never ends');
}

const m = (minutes: number): number => minutes * minuteMs;

describe('retry policies over their whole schedule (endpoint never recovers)', () => {
  it('standard-7d walks the tiers 5m … 2d, then daily, a last retry at 7 days, then deactivates', () => {
    const { retries, end } = wholeSchedule('standard-7d');
    expect(retries).toEqual([
      ['5m', m(5)], ['15m', m(20)], ['35m', m(55)], ['1h', m(115)], ['2h30m', m(265)], ['5h', m(565)],
      ['10h30m', m(1_195)], ['21h', m(2_455)], ['2d', m(5_335)],
      ['daily', m(6_775)], ['daily', m(8_215)], ['daily', m(9_655)],
      // The next daily retry would fall after the limit; it is due exactly at 7 days instead.
      ['5h', 7 * dayMs],
    ]);
    expect(end).toBe('deactivate');
  });

  it('pause-24h retries 5m, 15m, 35m, then hourly until 24 h, then pauses', () => {
    const { retries, end } = wholeSchedule('pause-24h');
    expect(retries.slice(0, 4)).toEqual([['5m', m(5)], ['15m', m(20)], ['35m', m(55)], ['1h', m(115)]]);
    const hourly = retries.slice(4, -1);
    expect(hourly).toHaveLength(22);
    hourly.forEach(([lane, atMs], i) => expect([lane, atMs]).toEqual(['1h', m(115) + (i + 1) * hourMs]));
    // The last wait is cut to end exactly at 24 h (5 minutes after the last hourly retry).
    expect(retries.at(-1)).toEqual(['5m', dayMs]);
    expect(end).toBe('pause');
  });

  it('disable-10m retries 5 times, 2 minutes apart, then disables', () => {
    const { retries, end } = wholeSchedule('disable-10m');
    expect(retries).toEqual([['5m', m(2)], ['5m', m(4)], ['5m', m(6)], ['5m', m(8)], ['5m', m(10)]]);
    expect(end).toBe('disable');
  });

  it('disable-10m, for a scheduled slot: 5 retries over 10 minutes, then each following quarter hour within the hour of its first failure, then disables', () => {
    expect(wholeSchedule('disable-10m', 1, { scheduled: true })).toEqual({
      retries: [['5m', m(2)], ['5m', m(4)], ['5m', m(6)], ['5m', m(8)], ['5m', m(10)], ['5m', m(15)], ['15m', m(30)], ['15m', m(45)], ['15m', m(60)]], end: 'disable',
    });
    // A slot first failing at 12:07 (a 1-minute cadence): its 10 minutes end at 12:17; then 12:30, 12:45, 13:00 (13:15 is past 13:07).
    expect(wholeSchedule('disable-10m', 1, { scheduled: true, firstFailureAtMs: t0 + m(7) }).retries.slice(5)).toEqual([['5m', m(23)], ['15m', m(38)], ['15m', m(53)]]);
    // Compressed 30×: the quarter hours are every 30 s of the clock.
    const fast = wholeSchedule('disable-10m', 1 / 30, { scheduled: true });
    expect(fast.retries.slice(5).map(([, at]) => at)).toEqual([30_000, 60_000, 90_000, 120_000]);
    expect(fast.end).toBe('disable');
  });

  it.each([['standard-7d'], ['pause-24h'], ['disable-10m']] as const)('%s compressed keeps the same shape, scaled', (name) => {
    const scale = 1 / 20_000;
    const real = wholeSchedule(name);
    const fast = wholeSchedule(name, scale);
    expect(fast.end).toBe(real.end);
    expect(fast.retries.map(([lane]) => lane)).toEqual(real.retries.map(([lane]) => lane));
    fast.retries.forEach(([, atMs], i) => expect(Math.abs(atMs - real.retries[i]![1] * scale)).toBeLessThanOrEqual(i + 1));
  });
});

describe('decideRetry at the boundaries', () => {
  const { policies, lanes } = retrySchedule(1);
  const std = policies['standard-7d'];

  const rows: Array<[string, { retryCount: number; nowMs: number; retryAfterMs?: number }, RetryDecision]> = [
    ['just parked', { retryCount: 0, nowMs: t0 }, { kind: 'retry', lane: lanes[0]!, dueAtMs: t0 + m(5), retryCount: 1 }],
    ['Retry-After longer than the tier wins', { retryCount: 0, nowMs: t0, retryAfterMs: hourMs },
      { kind: 'retry', lane: lanes[3]!, dueAtMs: t0 + hourMs, retryCount: 1 }],
    ['Retry-After shorter than the tier is not early', { retryCount: 0, nowMs: t0, retryAfterMs: 1_000 },
      { kind: 'retry', lane: lanes[0]!, dueAtMs: t0 + m(5), retryCount: 1 }],
    ['Retry-After past the limit is cut to the limit', { retryCount: 12, nowMs: t0 + 7 * dayMs - 1_000, retryAfterMs: 6 * hourMs },
      { kind: 'retry', lane: lanes[0]!, dueAtMs: t0 + 7 * dayMs, retryCount: 13 }],
    ['one ms before the limit still retries', { retryCount: 3, nowMs: t0 + 7 * dayMs - 1 },
      { kind: 'retry', lane: lanes[0]!, dueAtMs: t0 + 7 * dayMs, retryCount: 4 }],
    ['at the limit', { retryCount: 3, nowMs: t0 + 7 * dayMs }, { kind: 'deactivate' }],
    ['long after the limit (e.g. a late owner)', { retryCount: 0, nowMs: t0 + 30 * dayMs }, { kind: 'deactivate' }],
    ['beyond the tier list the last tier repeats', { retryCount: 40, nowMs: t0 },
      { kind: 'retry', lane: lanes[9]!, dueAtMs: t0 + dayMs, retryCount: 41 }],
  ];
  it.each(rows)('standard-7d: %s', (_, head, expected) => {
    expect(decideRetry(std, lanes, { firstFailureAtMs: t0, ...head })).toEqual(expected);
  });

  it('disable-10m stops at 5 retries even before 10 minutes, and at 10 minutes even with fewer', () => {
    const p = policies['disable-10m'];
    expect(decideRetry(p, lanes, { firstFailureAtMs: t0, retryCount: 5, nowMs: t0 + m(3) })).toEqual({ kind: 'disable' });
    expect(decideRetry(p, lanes, { firstFailureAtMs: t0, retryCount: 4, nowMs: t0 + m(10) })).toEqual({ kind: 'disable' });
    expect(decideRetry(p, lanes, { firstFailureAtMs: t0, retryCount: 4, nowMs: t0 + m(9) }).kind).toBe('retry');
  });

  it('pause-24h pauses at 24 h', () => {
    const p = policies['pause-24h'];
    expect(decideRetry(p, lanes, { firstFailureAtMs: t0, retryCount: 30, nowMs: t0 + dayMs })).toEqual({ kind: 'pause' });
  });
});

describe('laneFor', () => {
  const { lanes } = retrySchedule(1);
  it.each([
    [1, '5m'], [m(5) - 1, '5m'], [m(5), '5m'], [m(15), '15m'], [m(20), '15m'],
    [2.5 * hourMs, '2h30m'], [dayMs, 'daily'], [2 * dayMs, '2d'], [10 * dayMs, '2d'],
  ])('a wait of %i ms goes to lane %s', (waitMs, lane) => {
    expect(laneFor(waitMs, lanes).name).toBe(lane);
  });
});
