import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { acceptedItems, bodyOf, failureEvents, range, sleep } from '../helpers/parking-checks.js';
import { stackEnv } from '../helpers/stack-env.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';


/** 7 days in about 16 s: the 5-minute tier waits ~8 ms, the 2-day tier ~4.6 s. */
const timeScale = 16_000 / (7 * 24 * 3_600_000);
const compressedDayMs = 24 * 3_600_000 * timeScale;

describe('parking, tiered retries, drain and deactivation (real stack, 7 days in ~16 s)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(timeScale) });
  });
  afterAll(async () => {
    if (process.env.DEBUG_DISPATCHER) console.log(h.logLines.join('\n'));
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('parks a failing endpoint for 3 compressed days, then drains every item in order and resumes live delivery; a dead one is deactivated with its backlog audited', async () => {
    let down = true;
    const accepted: RecordedRequest[] = [];
    const flaky = await WebhookReceiver.start(behaviours.custom((req) => {
      if (down) return { status: 503, body: 'maintenance' };
      accepted.push(req);
      return { status: 200 };
    }));
    const dead = await WebhookReceiver.start(behaviours.status(500, 'broken'));
    receivers.push(flaky, dead);
    const recovering = await h.subscribe({ url: flaky.url, accountId: 'acc_park', batching: { maxItems: 10, maxWaitMs: 200 } });
    const doomed = await h.subscribe({ url: dead.url, accountId: 'acc_dead', batching: { maxItems: 10, maxWaitMs: 200 } });
    const app = await h.startInProcess();
    const vehicles = ['veh_p1', 'veh_p2'];
    const publish = (seqs: number[]): Promise<void> => h.publish({ gps: seqs.flatMap((s) => vehicles.map((v) => gpsPoint(v, s, 'acc_park'))) });

    // Down: the first request fails its quick retries and parks; everything after goes to the backlog.
    await h.publish({ gps: range(1, 15).map((s) => gpsPoint('veh_d', s, 'acc_dead')) });
    await publish(range(1, 20));
    await waitFor(() => app.deliveries.parkedSubscriptions().get(recovering.id) === 'parked', { timeoutMs: 20_000, what: 'the failing subscription to park' });
    // What the admin API's status shows while parked: the dispatcher's parking fields in Redis.
    const redis = new Redis(stackEnv.redisUrl);
    const statusKey = deliveryStatusKey(h.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '', recovering.id);
    try {
      const status = await waitFor(async () => {
        const st = await redis.hgetall(statusKey);
        return st.currentTier !== undefined && st.nextRetryAt !== undefined && st;
      }, { timeoutMs: 10_000, what: 'parking status in Redis' });
      expect(status.currentTier).toMatch(/^webhook\.retry\./);
      expect(Number.isNaN(Date.parse(status.firstFailureAt ?? ''))).toBe(false);
      expect(Number.isNaN(Date.parse(status.nextRetryAt ?? ''))).toBe(false);
      expect(status.lastError).toContain('503');
      expect(app.catalogue.get(recovering.id)?.state).toBe('failing');
    } finally {
      redis.disconnect();
    }
    await sleep(compressedDayMs);
    await publish(range(21, 40));
    await sleep(compressedDayMs);
    await publish(range(41, 50));
    await sleep(compressedDayMs);

    // Up after 3 compressed days: the head succeeds at its next tier retry and the backlog
    // drains while live data keeps arriving — before, during and after the hand-over.
    down = false;
    let next = 51;
    let afterHandOver = 10;
    while (afterHandOver > 0) {
      if (next > 600) throw new Error('the subscription never left parking');
      await publish([next, next + 1]);
      next += 2;
      if (!app.deliveries.parkedSubscriptions().has(recovering.id)) afterHandOver--;
      await sleep(100);
    }
    const lastSeq = next - 1;
    const items = await waitFor(() => {
      const got = acceptedItems(accepted);
      return got.length >= 2 * lastSeq && got;
    }, { timeoutMs: 40_000, what: `${2 * lastSeq} items accepted by the recovered endpoint` }).catch((err: unknown) => {
      const got = acceptedItems(accepted);
      const seqs = vehicles.map((v) => `${v}: ${got.filter((d) => d.vehicleId === v).map((d) => d.seq).join(',')}`);
      throw new Error(`${String(err)}; accepted ${accepted.length} requests, ${got.length} items: ${seqs.join(' | ')}`);
    });
    for (const v of vehicles) expect(items.filter((d) => d.vehicleId === v).map((d) => d.seq)).toEqual(range(1, lastSeq));
    expect(lastSeq).toBeGreaterThan(80);
    await waitFor(() => app.catalogue.get(recovering.id)?.state === 'active', { timeoutMs: 10_000, what: 'the recovered subscription to be active again' });

    const recoveringEvents = await failureEvents(h, recovering.id);
    const kinds = recoveringEvents.map((e) => e.kind);
    expect(kinds[0]).toBe('parked');
    expect(kinds[kinds.length - 1]).toBe('recovered');
    expect(kinds.slice(1, -1).every((k) => k === 'still_failing')).toBe(true);
    expect(kinds.length).toBeGreaterThan(3);

    // The dead endpoint: deactivated at the 7-day limit; head and backlog in the audit topic, once each.
    await waitFor(() => app.catalogue.get(doomed.id)?.state === 'deactivated', { timeoutMs: 40_000, what: 'the dead subscription to be deactivated' });
    await waitFor(() => !app.deliveries.parkedSubscriptions().has(doomed.id), { timeoutMs: 20_000, what: 'the audit of the backlog' });
    const audited = (await readTopic(h.kafka, h.topics.get('webhook.audit').name)).filter((r) => r.key === doomed.id);
    expect(audited.length).toBe(15);
    expect(new Set(audited.map((r) => r.headers['fleethook-deliveries-offset']?.toString())).size).toBe(15);
    for (const r of audited) expect(r.headers['fleethook-audit-reason']?.toString()).toMatch(/^deactivated: /);
    const doomedEvents = await failureEvents(h, doomed.id);
    const last = doomedEvents[doomedEvents.length - 1];
    expect(doomedEvents[0]?.kind).toBe('parked');
    expect(last?.kind).toBe('deactivated');
    expect(doomedEvents.slice(1, -1).every((e) => e.kind === 'still_failing')).toBe(true);
    expect(last).toMatchObject({ discarded: { items: 15 } });
    // Never early: each retry's failure came at or after the due time the previous event announced.
    for (let i = 1; i < doomedEvents.length; i++) {
      const due = doomedEvents[i - 1]?.nextRetryAt;
      if (due !== null && due !== undefined) expect(Date.parse(doomedEvents[i]?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(due));
    }
    // And the first failure to the deactivation spans the whole compressed week.
    const firstFailure = Date.parse(doomedEvents[0]?.firstFailureAt ?? '');
    expect(Date.parse(last?.at ?? '') - firstFailure).toBeGreaterThanOrEqual(7 * compressedDayMs - 50);

    // Deactivated, nothing more is sent; reactivated explicitly, new data flows from then on (the audited items stay audited).
    await h.publish({ gps: range(16, 18).map((s) => gpsPoint('veh_d', s, 'acc_dead')) });
    await sleep(1_000);
    const requestsWhileDeactivated = dead.requests.length;
    dead.behave(behaviours.ok());
    const deactivated = app.catalogue.get(doomed.id);
    if (deactivated === undefined) throw new Error('doomed subscription missing');
    await h.put({ ...doomed, state: 'active', revision: deactivated.revision + 1 });
    await h.publish({ gps: range(19, 21).map((s) => gpsPoint('veh_d', s, 'acc_dead')) });
    const after = await waitFor(() => {
      const got = dead.requests.slice(requestsWhileDeactivated).flatMap((r) => bodyOf(r).data);
      return got.length >= 3 && got;
    }, { timeoutMs: 20_000, what: 'new data after the reactivation' });
    expect(after.map((d) => d.seq)).toEqual([19, 20, 21]);
  }, 150_000);
});
