import { describe, expect, it } from 'vitest';
import { boundaryAtOrBefore, firstSlot, nextBoundary, scheduledWebhookId, slotAttemptAt, slotsBetween } from '../../../services/shared/schedule/cadence-slots.js';
import type { Cadence } from '../../../services/shared/subscriptions/subscription-types.js';

const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const every = (minutes: number): Cadence => ({ every: 'minutes', minutes });
const hourly: Cadence = { every: 'hour' };
const daily = (at: string): Cadence => ({ every: 'day', at });
const monthly = (day: number): Cadence => ({ every: 'month', day });

describe('cadence boundaries (UTC)', () => {
  it.each<[string, Cadence, string, string]>([
    ['hourly, subscribed 15:45 → 16:00', hourly, '2026-03-10T15:45:00.000Z', '2026-03-10T16:00:00.000Z'],
    ['hourly, subscribed on the boundary → the next one', hourly, '2026-03-10T16:00:00.000Z', '2026-03-10T17:00:00.000Z'],
    ['every minute, a millisecond before', every(1), '2026-03-10T15:44:59.999Z', '2026-03-10T15:45:00.000Z'],
    ['every 15 minutes', every(15), '2026-03-10T15:46:10.000Z', '2026-03-10T16:00:00.000Z'],
    ['every 5 minutes', every(5), '2026-03-10T23:58:00.000Z', '2026-03-11T00:00:00.000Z'],
    ['every 7 minutes counts from the epoch', every(7), '1970-01-01T00:06:00.000Z', '1970-01-01T00:07:00.000Z'],
    ['every 59 minutes', every(59), '1970-01-01T00:59:00.000Z', '1970-01-01T01:58:00.000Z'],
    ['daily at 00:00', daily('00:00'), '2026-03-10T15:45:00.000Z', '2026-03-11T00:00:00.000Z'],
    ['daily at 18:30, before it today', daily('18:30'), '2026-03-10T15:45:00.000Z', '2026-03-10T18:30:00.000Z'],
    ['daily at 06:15, past it today', daily('06:15'), '2026-03-10T06:15:00.000Z', '2026-03-11T06:15:00.000Z'],
    ['daily across a year end', daily('23:59'), '2026-12-31T23:59:30.000Z', '2027-01-01T23:59:00.000Z'],
    ['monthly on the 1st', monthly(1), '2026-03-10T15:45:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['monthly on the 15th, before it', monthly(15), '2026-03-10T15:45:00.000Z', '2026-03-15T00:00:00.000Z'],
    ['monthly on the 28th in a leap February', monthly(28), '2028-02-27T00:00:00.000Z', '2028-02-28T00:00:00.000Z'],
    ['monthly across a year end', monthly(1), '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ])('%s', (_name, cadence, subscribedAt, first) => {
    expect(iso(firstSlot(cadence, t(subscribedAt)))).toBe(first);
    // The boundary before the first slot is at or before the subscription time, and the first slot is one.
    expect(boundaryAtOrBefore(cadence, t(subscribedAt))).toBeLessThanOrEqual(t(subscribedAt));
    expect(boundaryAtOrBefore(cadence, t(first))).toBe(t(first));
    expect(nextBoundary(cadence, boundaryAtOrBefore(cadence, t(subscribedAt)))).toBe(t(first));
  });

  it.each<[string, Cadence, string, string]>([
    ['monthly on the 1st, from the 1st itself', monthly(1), '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ['monthly on the 15th, before it this month', monthly(15), '2026-03-10T00:00:00.000Z', '2026-02-15T00:00:00.000Z'],
    ['monthly on the 15th, in January', monthly(15), '2026-01-03T00:00:00.000Z', '2025-12-15T00:00:00.000Z'],
    ['daily at 18:30, in the morning', daily('18:30'), '2026-03-10T09:00:00.000Z', '2026-03-09T18:30:00.000Z'],
  ])('the boundary at or before: %s', (_name, cadence, at, expected) => {
    expect(iso(boundaryAtOrBefore(cadence, t(at)))).toBe(expected);
  });

  it('lists the slots of a window, oldest first and at most max', () => {
    const after = t('2026-03-10T15:45:30.000Z');
    expect(slotsBetween(every(15), after, t('2026-03-10T16:30:00.000Z'), 10).map(iso)).toEqual(['2026-03-10T16:00:00.000Z', '2026-03-10T16:15:00.000Z', '2026-03-10T16:30:00.000Z']);
    expect(slotsBetween(every(1), after, t('2026-03-10T18:00:00.000Z'), 2).map(iso)).toEqual(['2026-03-10T15:46:00.000Z', '2026-03-10T15:47:00.000Z']);
    expect(slotsBetween(hourly, after, t('2026-03-10T15:59:59.999Z'), 10)).toEqual([]);
  });
});

describe('a slot not delivered in time', () => {
  const slot = t('2026-03-10T16:00:00.000Z');
  it.each<[string, string, string]>([
    ['at its boundary: now', '2026-03-10T16:00:00.000Z', '2026-03-10T16:00:00.000Z'],
    ['within 15 minutes: now', '2026-03-10T16:14:59.999Z', '2026-03-10T16:14:59.999Z'],
    ['15 minutes late, on a quarter: now', '2026-03-10T16:15:00.000Z', '2026-03-10T16:15:00.000Z'],
    ['later: the next quarter hour', '2026-03-10T16:15:00.001Z', '2026-03-10T16:30:00.000Z'],
    ['much later: the next quarter hour', '2026-03-10T19:01:00.000Z', '2026-03-10T19:15:00.000Z'],
  ])('%s', (_name, now, expected) => {
    expect(iso(slotAttemptAt(slot, t(now)))).toBe(expected);
  });

  it('takes a shorter retry step (a test time scale) through its parameter', () => {
    expect(slotAttemptAt(0, 2_500, 1_000)).toBe(3_000);
    expect(slotAttemptAt(0, 999, 1_000)).toBe(999);
  });
});

describe('scheduled webhook ids', () => {
  it('name a subscription, slot and part, the same on every instance and repeat', () => {
    const slot = t('2026-03-10T16:00:00.000Z');
    expect(scheduledWebhookId('sub_a', slot, 0)).toBe(scheduledWebhookId('sub_a', slot, 0));
    const ids = new Set([scheduledWebhookId('sub_a', slot, 0), scheduledWebhookId('sub_a', slot, 1), scheduledWebhookId('sub_b', slot, 0), scheduledWebhookId('sub_a', slot + 60_000, 0)]);
    expect(ids.size).toBe(4);
    expect(scheduledWebhookId('sub_a', slot, 0)).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
  });
});
