import { describe, expect, it } from 'vitest';
import { planHeadFailure } from '../../../services/dispatcher/parking/plan-head-failure.js';
import type { HeadFailure } from '../../../services/dispatcher/parking/plan-head-failure.js';
import { retrySchedule } from '../../../services/dispatcher/retry/retry-policy.js';
import { isScheduledTicket } from '../../../services/dispatcher/retry/retry-ticket.js';
import type { RetryTicket } from '../../../services/dispatcher/retry/retry-ticket.js';
import { encodeDeliveryItem } from '../../../services/shared/delivery-item.js';

const t0 = 1_764_000_000_000;
const minuteMs = 60_000;
const dayMs = 24 * 60 * minuteMs;
const { policies, lanes } = retrySchedule(1);
const ticket: RetryTicket = {
  v: 1, subscriptionId: 'sub_000000000aaaaaaaaaaaaaaaa', episodeId: 'pke_1', retryCount: 0, firstFailureAtMs: t0,
  retryPolicy: 'standard-7d', webhookId: 'msg_abc', lastError: 'connection refused', lastStatusCode: null,
  items: [{ deliveriesOffset: '41', value: 'a' }, { deliveriesOffset: '42', value: 'b' }],
};
const failure = (patch: Partial<HeadFailure>): HeadFailure => ({
  ticket, error: 'endpoint answered 503', statusCode: 503, nowMs: t0, backlogSize: 10, auditTopic: 'p.webhook.audit', ...patch,
});

describe('planning a failed head', () => {
  it('parks: first tier, retry count 1, a parked event with the next retry time', () => {
    const plan = planHeadFailure(policies['standard-7d'], lanes, failure({}));
    expect(plan).toMatchObject({ kind: 'retry', laneTopic: 'webhook.retry.5m', dueAtMs: t0 + 5 * minuteMs });
    if (plan.kind !== 'retry') throw new Error('expected a retry');
    expect(plan.ticket).toEqual({ ...ticket, retryCount: 1, lastError: 'endpoint answered 503', lastStatusCode: 503 });
    expect(plan.event).toEqual({
      kind: 'parked', nextRetryAtMs: t0 + 5 * minuteMs,
      failure: { firstFailureAtMs: t0, lastError: 'endpoint answered 503', lastStatusCode: 503, backlogSize: 10, retryCount: 0 },
    });
  });

  it('a later failure is still_failing on the next tier, honouring a longer Retry-After', () => {
    const plan = planHeadFailure(policies['standard-7d'], lanes, failure({ ticket: { ...ticket, retryCount: 1 }, nowMs: t0 + 5 * minuteMs, retryAfterMs: 40 * minuteMs }));
    expect(plan).toMatchObject({ kind: 'retry', laneTopic: 'webhook.retry.35m', dueAtMs: t0 + 45 * minuteMs, event: { kind: 'still_failing' } });
  });

  it('after 7 days: deactivate, head and backlog counted as discarded to the audit topic', () => {
    const plan = planHeadFailure(policies['standard-7d'], lanes, failure({ ticket: { ...ticket, retryCount: 13 }, nowMs: t0 + 7 * dayMs }));
    expect(plan).toEqual({
      kind: 'limit', action: 'deactivate',
      event: { kind: 'deactivated', discarded: { items: 12, topic: 'p.webhook.audit' },
        failure: { firstFailureAtMs: t0, lastError: 'endpoint answered 503', lastStatusCode: 503, backlogSize: 10, retryCount: 13 } },
    });
  });

  it('pause-24h pauses after a day and disable-10m disables after 5 retries', () => {
    expect(planHeadFailure(policies['pause-24h'], lanes, failure({ ticket: { ...ticket, retryPolicy: 'pause-24h', retryCount: 27 }, nowMs: t0 + dayMs })))
      .toMatchObject({ kind: 'limit', action: 'pause', event: { kind: 'paused' } });
    expect(planHeadFailure(policies['disable-10m'], lanes, failure({ ticket: { ...ticket, retryPolicy: 'disable-10m', retryCount: 5 }, nowMs: t0 + 10 * minuteMs })))
      .toMatchObject({ kind: 'limit', action: 'disable', event: { kind: 'deactivated' } });
  });

  it('disable-10m gives a scheduled slot\'s head the next quarter hours of its first hour, then disables', () => {
    const value = encodeDeliveryItem({
      subscriptionId: ticket.subscriptionId, kind: 'scheduled', vehicleId: 'veh_1', seq: null, recordTimeMs: t0, origin: { topic: 'scheduler.slots', partition: 0, offset: '7' }, slot: { slotMs: t0, part: 0 },
    }, '{"vehicleId":"veh_1"}').toString('utf8');
    const slot: RetryTicket = { ...ticket, retryPolicy: 'disable-10m', retryCount: 5, items: [{ deliveriesOffset: '41', value }] };
    expect(isScheduledTicket(slot)).toBe(true);
    expect(isScheduledTicket(ticket)).toBe(false);
    const quarter = 15 * minuteMs;
    // t0 is 16:00 UTC: the 5th retry failed at 16:10; next 16:15, … up to 17:00; a failure then disables.
    expect(t0 % quarter).toBe(0);
    expect(planHeadFailure(policies['disable-10m'], lanes, failure({ ticket: slot, nowMs: t0 + 10 * minuteMs })))
      .toMatchObject({ kind: 'retry', dueAtMs: t0 + quarter, ticket: { retryCount: 6 }, event: { kind: 'still_failing', nextRetryAtMs: t0 + quarter } });
    expect(planHeadFailure(policies['disable-10m'], lanes, failure({ ticket: { ...slot, retryCount: 8 }, nowMs: t0 + 3 * quarter + 900 })))
      .toMatchObject({ kind: 'retry', dueAtMs: t0 + 4 * quarter });
    expect(planHeadFailure(policies['disable-10m'], lanes, failure({ ticket: { ...slot, retryCount: 9 }, nowMs: t0 + 4 * quarter + 900 })))
      .toMatchObject({ kind: 'limit', action: 'disable', event: { kind: 'deactivated', discarded: { items: 11 } } });
    // Another policy's scheduled head: its own schedule only.
    expect(planHeadFailure(policies['pause-24h'], lanes, failure({ ticket: { ...slot, retryPolicy: 'pause-24h', retryCount: 27 }, nowMs: t0 + dayMs }))).toMatchObject({ kind: 'limit', action: 'pause' });
  });
});
