import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { bodyOf, failureEvents, range, sleep } from '../helpers/parking-checks.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';


describe('retry policy disable-10m (10 minutes in ~12 s)', () => {
  let h: DispatcherHarness;
  let endpoint: WebhookReceiver;
  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(12_000 / 600_000) });
    endpoint = await WebhookReceiver.start(behaviours.status(500, 'broken'));
  });
  afterAll(async () => {
    await h.close();
    await endpoint.close();
  });

  it('retries the head up to 5 times, 2 minutes apart, after the quick retries, then disables the subscription and audits its data', async () => {
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_dis', retryPolicy: 'disable-10m', batching: { maxItems: 5, maxWaitMs: 100 } });
    const app = await h.startInProcess();
    await h.publish({ gps: range(1, 12).map((s) => gpsPoint('veh_x', s, 'acc_dis')) });
    await waitFor(() => app.catalogue.get(sub.id)?.state === 'deactivated', { timeoutMs: 30_000, what: 'the subscription to be disabled' });
    await waitFor(() => !app.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 20_000, what: 'the audit' });
    // One request only ever reached the endpoint: the head, 1 + 3 quick retries, then the tier
    // retries — 5, or 4 when scheduling lateness put the 4th past the 10-minute limit (the
    // policy ends at whichever comes first) — all with one webhook-id.
    const tierRetries = endpoint.requests.length - 4;
    expect(tierRetries === 5 || tierRetries === 4).toBe(true);
    expect(new Set(endpoint.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(endpoint.requests.map((r) => (JSON.parse(r.text) as { retryCount: number }).retryCount)).toEqual(range(0, endpoint.requests.length - 1));
    const audited = (await readTopic(h.kafka, h.topics.get('webhook.audit').name)).filter((r) => r.key === sub.id);
    expect(audited).toHaveLength(12);
    const kinds = (await failureEvents(h, sub.id)).map((e) => e.kind);
    expect(kinds).toEqual(['parked', ...Array.from({ length: tierRetries - 1 }, () => 'still_failing'), 'deactivated']);
  }, 90_000);
});

describe('retry policy pause-24h (24 hours in ~4 s)', () => {
  let h: DispatcherHarness;
  let endpoint: WebhookReceiver;
  let up = false;
  const accepted: RecordedRequest[] = [];
  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(4_000 / 86_400_000) });
    endpoint = await WebhookReceiver.start(behaviours.custom((req) => {
      if (!up) return { status: 503 };
      accepted.push(req);
      return { status: 200 };
    }));
  });
  afterAll(async () => {
    await h.close();
    await endpoint.close();
  });

  it('retries for 24 hours, then pauses keeping its data; resumed, it delivers everything in order', async () => {
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_pause', retryPolicy: 'pause-24h', batching: { maxItems: 5, maxWaitMs: 100 } });
    const app = await h.startInProcess();
    await h.publish({ gps: range(1, 20).map((s) => gpsPoint('veh_y', s, 'acc_pause')) });
    await waitFor(() => app.catalogue.get(sub.id)?.state === 'paused', { timeoutMs: 30_000, what: 'the subscription to pause' });
    const events = await failureEvents(h, sub.id);
    expect(events[0]?.kind).toBe('parked');
    expect(events[events.length - 1]?.kind).toBe('paused');
    // Retries ran through the whole compressed day: past the 5/15/35-minute tiers into the hourly ones,
    // and the pause came only once the day was over. (How many hourly retries fit depends on the machine's load.)
    expect(events.filter((e) => e.kind === 'still_failing').length).toBeGreaterThan(3);
    const paused = events[events.length - 1];
    const firstFailureMs = Date.parse(paused?.firstFailureAt ?? '');
    expect(Date.parse(paused?.at ?? '') - firstFailureMs).toBeGreaterThanOrEqual(4_000);
    await sleep(1_000);
    const attemptsWhilePaused = endpoint.requests.length;
    await sleep(1_000);
    expect(endpoint.requests.length).toBe(attemptsWhilePaused);
    expect(app.deliveries.parkedSubscriptions().get(sub.id)).toBe('parked');

    up = true;
    const stored = app.catalogue.get(sub.id);
    if (stored === undefined) throw new Error('subscription missing');
    await h.put({ ...sub, state: 'active', revision: stored.revision + 1 });
    const items = await waitFor(() => {
      const got = accepted.flatMap((r) => bodyOf(r).data);
      return got.length >= 20 && got;
    }, { timeoutMs: 30_000, what: 'the kept data after the resume' });
    expect(items.map((d) => d.seq)).toEqual(range(1, 20));
    await waitFor(() => !app.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 10_000, what: 'the episode to end' });
  }, 90_000);
});
