import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { deliverBatch } from '../../services/dispatcher/deliver/deliver-batch.js';
import type { BatchDeliveryDeps, BatchResult, BatchSignals } from '../../services/dispatcher/deliver/deliver-batch.js';
import { webhookIdFor } from '../../services/dispatcher/deliver/build-webhook-request.js';
import { createGuardedAgent } from '../../services/shared/ssrf/guarded-agent.js';
import { SsrfGuard } from '../../services/shared/ssrf/ssrf-guard.js';
import type { StoredSubscription, Subscription, SubscriptionState } from '../../services/shared/subscriptions/subscription-types.js';
import { verifySignature } from '../../services/shared/webhook-signature.js';
import { DeliveryParts, batchOf, gpsItems, testSubscription } from '../helpers/dispatcher-parts.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { ReceiverBehaviour, RecordedRequest } from '../helpers/webhook-receiver.js';

interface Body { id: string; type: string; subscriptionId: string; retryCount: number; queueDepth: number; enqueueTime: string; requestTime: string; data: { vehicleId: string; seq: number }[] }
const bodyOf = (r: RecordedRequest): Body => JSON.parse(r.text) as Body;

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('deliverBatch (real HTTP endpoint, guarded undici agent, Redis status)', () => {
  const parts = new DeliveryParts();
  const receivers: WebhookReceiver[] = [];
  /** What the catalogue holds: deliverBatch reads each subscription's current state through `lookup` before every attempt. */
  const catalogue = new Map<string, StoredSubscription>();
  const lookup = (id: string): StoredSubscription | undefined => catalogue.get(id);

  afterAll(async () => {
    if (process.env.DEBUG_DISPATCHER) console.log(parts.logLines.join('\n'));
    await Promise.all(receivers.map((r) => r.close()));
    await parts.close();
  });

  async function endpoint(behaviour: ReceiverBehaviour = behaviours.ok()): Promise<WebhookReceiver> {
    const r = await WebhookReceiver.start(behaviour);
    receivers.push(r);
    return r;
  }

  function subscribe(url: string, spec: Partial<Subscription> = {}): Subscription {
    const { plain, stored } = testSubscription(parts.box, { url, ...spec });
    catalogue.set(plain.id, stored);
    return plain;
  }

  function signals(overrides: Partial<BatchSignals> = {}): BatchSignals {
    return { stop: new AbortController().signal, kill: new AbortController().signal, queueDepth: () => 0, ...overrides };
  }

  async function counter(outcome: string, statusClass: string): Promise<number> {
    const m = await parts.metrics.deliveries.get();
    return m.values.find((v) => v.labels.outcome === outcome && v.labels.status_class === statusClass)?.value ?? 0;
  }

  async function run(deps: BatchDeliveryDeps, sub: Subscription, items: number, s: BatchSignals): Promise<{ result: BatchResult; webhookId: string; startedAt: number }> {
    const batch = batchOf(sub.id, gpsItems(sub.id, 'veh_a', Array.from({ length: items }, (_, i) => 10 + i)));
    const startedAt = Date.now();
    const result = await deliverBatch(deps, batch, s);
    return { result, webhookId: webhookIdFor(sub.id, batch), startedAt };
  }

  it.each([200, 201, 202, 204, 299])('a %i answer is delivered at the first attempt, signed, and recorded in Redis', async (status) => {
    const r = await endpoint(behaviours.status(status));
    const sub = subscribe(r.url);
    const before = await counter('delivered', '2xx');
    const { result, webhookId } = await run(parts.deps(lookup), sub, 3, signals({ queueDepth: () => 7 }));

    expect(result).toEqual({ kind: 'delivered', attempts: 1 });
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0] as RecordedRequest;
    expect(req.method).toBe('POST');
    expect(req.headers['webhook-id']).toBe(webhookId);
    expect(verifySignature([sub.signing.current], { id: req.headers['webhook-id'], timestamp: req.headers['webhook-timestamp'], signature: req.headers['webhook-signature'] }, req.body).kind).toBe('valid');
    const body = bodyOf(req);
    expect(body).toMatchObject({ id: webhookId, type: 'gps', subscriptionId: sub.id, retryCount: 0, queueDepth: 7 });
    expect(body.data.map((d) => d.seq)).toEqual([1_010, 1_011, 1_012]);
    expect(await counter('delivered', '2xx')).toBe(before + 1);
    const st = await waitFor(async () => {
      const s = await parts.status(sub.id);
      return s.attempts.length === 1 && s.fields.totalDelivered !== undefined && s;
    }, { what: 'status in Redis' });
    expect(st.attempts[0]).toMatchObject({ statusCode: status, error: null, webhookId });
    expect(st.fields).toMatchObject({ totalMessages: '3', totalDelivered: '3', backlogSize: '7', lastSuccessAt: st.attempts[0]?.at });
    expect(st.fields.nextRetryAt).toBeUndefined();
  });

  it('a 5xx then a 200 within the quick retries: one webhook-id on every attempt, retryCount rising, spacing at least the quick delays', async () => {
    let n = 0;
    const r = await endpoint(behaviours.custom(() => ({ status: ++n === 1 ? 503 : n === 2 ? 500 : 200 })));
    const sub = subscribe(r.url);
    const { result, webhookId } = await run(parts.deps(lookup, { quickRetryDelaysMs: [150, 300, 450] }), sub, 2, signals());

    expect(result).toEqual({ kind: 'delivered', attempts: 3 });
    expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([webhookId, webhookId, webhookId]);
    expect(r.requests.map((q) => bodyOf(q).retryCount)).toEqual([0, 1, 2]);
    // One enqueue time; each attempt its own request time, at least the quick delay after the last.
    expect(new Set(r.requests.map((q) => bodyOf(q).enqueueTime)).size).toBe(1);
    const sentAt = r.requests.map((q) => Date.parse(bodyOf(q).requestTime));
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(150);
    expect(sentAt[2]! - sentAt[1]!).toBeGreaterThanOrEqual(300);
    // Same items on every attempt.
    expect(new Set(r.requests.map((q) => JSON.stringify(bodyOf(q).data))).size).toBe(1);
    const at = r.requests.map((q) => q.receivedAt);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(150);
    expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(300);
    const st = await waitFor(async () => {
      const s = await parts.status(sub.id);
      return s.attempts.length === 3 && s.fields.totalDelivered !== undefined && s;
    }, { what: 'three attempts in Redis' });
    expect(st.attempts.map((a) => a.statusCode)).toEqual([200, 500, 503]);
    expect(st.attempts.map((a) => a.error)).toEqual([null, 'endpoint answered 500', 'endpoint answered 503']);
    expect(new Set(st.attempts.map((a) => a.webhookId))).toEqual(new Set([webhookId]));
    // Counted once, at the first attempt; the retry time set while retrying is cleared by the success.
    expect(st.fields).toMatchObject({ totalMessages: '2', totalDelivered: '2', lastError: 'endpoint answered 500' });
    expect(st.fields.nextRetryAt).toBeUndefined();
  });

  interface FailingRow {
    readonly name: string;
    readonly behaviour: ReceiverBehaviour | 'refused';
    readonly statusCode: number | null;
    readonly error: string;
    readonly statusClass: string;
  }
  const failing: FailingRow[] = [
    { name: '500', behaviour: behaviours.status(500), statusCode: 500, error: 'endpoint answered 500', statusClass: '5xx' },
    { name: '502', behaviour: behaviours.status(502), statusCode: 502, error: 'endpoint answered 502', statusClass: '5xx' },
    { name: '503 without Retry-After', behaviour: behaviours.status(503), statusCode: 503, error: 'endpoint answered 503', statusClass: '5xx' },
    { name: '429 without Retry-After', behaviour: behaviours.status(429), statusCode: 429, error: 'endpoint answered 429', statusClass: '4xx' },
    { name: '400', behaviour: behaviours.status(400), statusCode: 400, error: 'endpoint answered 400', statusClass: '4xx' },
    { name: '401', behaviour: behaviours.status(401), statusCode: 401, error: 'endpoint answered 401 (check the endpoint credentials)', statusClass: '4xx' },
    { name: '404', behaviour: behaviours.status(404), statusCode: 404, error: 'endpoint answered 404', statusClass: '4xx' },
    { name: '304', behaviour: behaviours.status(304), statusCode: 304, error: 'endpoint answered 304 (redirects are not followed)', statusClass: '3xx' },
    { name: 'connection reset', behaviour: behaviours.reset(), statusCode: null, error: 'socket error', statusClass: 'none' },
    { name: 'connection refused', behaviour: 'refused', statusCode: null, error: 'connection refused', statusClass: 'none' },
    { name: 'hang past the request timeout', behaviour: behaviours.hang(), statusCode: null, error: 'timed out waiting for the response', statusClass: 'none' },
  ];

  it.each(failing)('$name on every attempt: failed after the first attempt and the quick retries, with firstFailureAtMs and the status code', async (row) => {
    const r = await endpoint(row.behaviour === 'refused' ? behaviours.ok() : row.behaviour);
    const url = row.behaviour === 'refused' ? `http://127.0.0.1:${await closedPort()}/hook` : r.url;
    const sub = subscribe(url);
    const before = await counter('retry', row.statusClass);
    const { result, webhookId, startedAt } = await run(parts.deps(lookup, { requestTimeoutMs: 300 }), sub, 2, signals({ queueDepth: () => 4 }));

    expect(result.kind).toBe('failed');
    if (result.kind !== 'failed') return;
    expect(result.failure).toMatchObject({ error: row.error, statusCode: row.statusCode, gone: false, webhookId, retryAfterMs: undefined });
    expect(result.failure.firstFailureAtMs).toBeGreaterThanOrEqual(startedAt);
    if (row.behaviour !== 'refused') {
      expect(r.requests).toHaveLength(4);
      expect(result.failure.firstFailureAtMs).toBeLessThanOrEqual((r.requests[0] as RecordedRequest).receivedAt);
      expect(r.requests.map((q) => bodyOf(q).retryCount)).toEqual([0, 1, 2, 3]);
      expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([webhookId]));
    }
    expect(await counter('retry', row.statusClass)).toBe(before + 4);
    const st = await waitFor(async () => {
      const s = await parts.status(sub.id);
      return s.attempts.length === 4 && s.fields.lastError !== undefined && s;
    }, { what: 'four attempts in Redis' });
    for (const a of st.attempts) expect(a).toMatchObject({ statusCode: row.statusCode, error: row.error, webhookId });
    expect(st.fields).toMatchObject({ totalMessages: '2', lastError: row.error, backlogSize: '4', lastFailureAt: st.attempts[0]?.at });
    expect(st.fields.totalDelivered).toBeUndefined();
  });

  it.each([301, 302, 307, 308] as const)('a %i redirect is a failure and is not followed', async (status) => {
    const target = await endpoint(behaviours.ok());
    const r = await endpoint(behaviours.redirect(target.url, status));
    const sub = subscribe(r.url);
    const { result } = await run(parts.deps(lookup), sub, 1, signals({ maxAttempts: 2 }));

    expect(result).toMatchObject({ kind: 'failed', failure: { statusCode: status, error: `endpoint answered ${status} (redirects are not followed)`, gone: false } });
    expect(r.requests).toHaveLength(2);
    expect(target.requests).toHaveLength(0);
  });

  it('410 Gone fails at once, without quick retries, marked gone', async () => {
    const r = await endpoint(behaviours.status(410));
    const sub = subscribe(r.url);
    const { result, webhookId } = await run(parts.deps(lookup), sub, 1, signals());

    expect(result).toMatchObject({ kind: 'failed', failure: { statusCode: 410, gone: true, error: 'endpoint answered 410 Gone', webhookId } });
    expect(r.requests).toHaveLength(1);
    const st = await waitFor(async () => {
      const s = await parts.status(sub.id);
      return s.attempts.length === 1 && s.fields.lastError !== undefined && s;
    }, { what: 'the attempt in Redis' });
    // The last attempt sets no quick-retry time: the parking step records the tier's.
    expect(st.fields.nextRetryAt).toBeUndefined();
  });

  it.each([
    { status: 429, retryAfter: '11', retryAfterMs: 11_000 },
    { status: 503, retryAfter: '3600', retryAfterMs: 3_600_000 },
    { status: 429, retryAfter: '999999', retryAfterMs: 6 * 3_600_000 },
    { status: 503, retryAfter: new Date(Date.now() + 120_000).toUTCString(), retryAfterMs: null },
  ])('$status with Retry-After $retryAfter (over 10 s) ends the quick retries at once and reports the clamped wait', async ({ status, retryAfter, retryAfterMs }) => {
    const r = await endpoint(behaviours.status(status, '', { 'retry-after': retryAfter }));
    const sub = subscribe(r.url);
    const { result } = await run(parts.deps(lookup), sub, 1, signals());

    expect(r.requests).toHaveLength(1);
    expect(result.kind).toBe('failed');
    if (result.kind !== 'failed') return;
    expect(result.failure).toMatchObject({ statusCode: status, gone: false });
    if (retryAfterMs !== null) expect(result.failure.retryAfterMs).toBe(retryAfterMs);
    else {
      // An HTTP-date two minutes ahead (whole seconds).
      expect(result.failure.retryAfterMs).toBeGreaterThan(110_000);
      expect(result.failure.retryAfterMs).toBeLessThanOrEqual(120_000);
    }
  });

  it('a Retry-After of exactly 10 s keeps the request in the quick retries (it is waited for, until stopped)', async () => {
    const r = await endpoint(behaviours.status(429, '', { 'retry-after': '10' }));
    const sub = subscribe(r.url);
    const stop = new AbortController();
    const pending = run(parts.deps(lookup), sub, 1, signals({ stop: stop.signal }));
    await r.waitForRequests(1);
    await new Promise((res) => setTimeout(res, 300));
    stop.abort();
    const { result } = await pending;

    expect(result).toEqual({ kind: 'abandoned' });
    expect(r.requests).toHaveLength(1);
  });

  it.each([
    { name: '429 Retry-After: 1', status: 429, retryAfter: (): string => '1', minMs: 1_000, maxMs: 3_000 },
    { name: '503 Retry-After: 2 (longer than maxRetryDelayMs)', status: 503, retryAfter: (): string => '2', minMs: 2_000, maxMs: 4_000 },
    { name: '429 Retry-After: 0 (raised to the 1 s floor)', status: 429, retryAfter: (): string => '0', minMs: 1_000, maxMs: 3_000 },
    { name: '503 Retry-After as an HTTP-date 3 s ahead', status: 503, retryAfter: (): string => new Date(Date.now() + 3_000).toUTCString(), minMs: 1_900, maxMs: 5_000 },
    { name: '429 Retry-After: nonsense (the quick delay applies)', status: 429, retryAfter: (): string => 'soon', minMs: 50, maxMs: 900 },
    { name: '500 Retry-After: 5 (only 429 and 503 are honoured)', status: 500, retryAfter: (): string => '5', minMs: 50, maxMs: 3_000 },
  ])('$name: the next attempt waits as asked, within bounds', async ({ status, retryAfter, minMs, maxMs }) => {
    let n = 0;
    const r = await endpoint(behaviours.custom(() => (++n === 1 ? { status, headers: { 'retry-after': retryAfter() } } : { status: 200 })));
    const sub = subscribe(r.url);
    const { result } = await run(parts.deps(lookup), sub, 1, signals());

    expect(result).toEqual({ kind: 'delivered', attempts: 2 });
    const gap = (r.requests[1] as RecordedRequest).receivedAt - (r.requests[0] as RecordedRequest).receivedAt;
    expect(gap).toBeGreaterThanOrEqual(minMs);
    expect(gap).toBeLessThan(maxMs);
  });

  it('a hanging endpoint times out after requestTimeoutMs; the attempt is logged with no status code', async () => {
    const r = await endpoint(behaviours.hang());
    const sub = subscribe(r.url);
    const { result } = await run(parts.deps(lookup, { requestTimeoutMs: 400 }), sub, 1, signals({ maxAttempts: 1 }));

    expect(result).toMatchObject({ kind: 'failed', failure: { statusCode: null, error: 'timed out waiting for the response', gone: false } });
    expect(r.requests).toHaveLength(1);
    const st = await waitFor(async () => {
      const s = await parts.status(sub.id);
      return s.attempts.length === 1 && s;
    }, { what: 'the attempt in Redis' });
    expect(st.attempts[0]).toMatchObject({ statusCode: null, error: 'timed out waiting for the response' });
    expect(st.attempts[0]?.latencyMs).toBeGreaterThanOrEqual(390);
  });

  it('an address the SSRF guard blocks fails without a request', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = subscribe(r.url);
    const strict = createGuardedAgent(new SsrfGuard(), { connectTimeoutMs: 2_000 });
    try {
      const { result } = await run(parts.deps(lookup, { agent: strict }), sub, 1, signals({ maxAttempts: 1 }));
      expect(result).toMatchObject({ kind: 'failed', failure: { statusCode: null, error: 'address not allowed (private, loopback or metadata range)' } });
    } finally {
      await strict.close();
    }
    expect(r.requests).toHaveLength(0);
  });

  describe('stop and kill signals', () => {
    it('stopped before the first attempt: abandoned, nothing sent or counted', async () => {
      const r = await endpoint(behaviours.ok());
      const sub = subscribe(r.url);
      const stop = new AbortController();
      stop.abort();
      const { result } = await run(parts.deps(lookup), sub, 1, signals({ stop: stop.signal }));

      expect(result).toEqual({ kind: 'abandoned' });
      expect(r.requests).toHaveLength(0);
      expect((await parts.status(sub.id)).fields).toEqual({});
    });

    it('stopped while waiting for a quick retry: abandoned without waiting out the delay', async () => {
      const r = await endpoint(behaviours.status(500));
      const sub = subscribe(r.url);
      const stop = new AbortController();
      const started = Date.now();
      const pending = run(parts.deps(lookup, { quickRetryDelaysMs: [20_000, 20_000, 20_000], maxRetryDelayMs: 20_000 }), sub, 1, signals({ stop: stop.signal }));
      await r.waitForRequests(1);
      stop.abort();
      const { result } = await pending;

      expect(result).toEqual({ kind: 'abandoned' });
      expect(r.requests).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    it('retries stopped (a shutdown) while waiting for a quick retry: abandoned at once; with retries stopped first, a request still goes once', async () => {
      const r = await endpoint(behaviours.status(503));
      const sub = subscribe(r.url);
      const retries = new AbortController();
      const slow = parts.deps(lookup, { quickRetryDelaysMs: [20_000, 20_000, 20_000], maxRetryDelayMs: 20_000 });
      const started = Date.now();
      const pending = run(slow, sub, 1, signals({ retries: retries.signal }));
      await r.waitForRequests(1);
      retries.abort();
      expect((await pending).result).toEqual({ kind: 'abandoned' });
      expect(Date.now() - started).toBeLessThan(15_000);
      // A batch flushed at shutdown: its first attempt is made, its failure is left to the next owner.
      expect((await run(slow, sub, 1, signals({ retries: retries.signal }))).result).toEqual({ kind: 'abandoned' });
      expect(r.requests).toHaveLength(2);
    });

    it('killed while a request hangs: abandoned at once, the attempt is not logged as a failure', async () => {
      const r = await endpoint(behaviours.hang());
      const sub = subscribe(r.url);
      const kill = new AbortController();
      const started = Date.now();
      const pending = run(parts.deps(lookup, { requestTimeoutMs: 20_000 }), sub, 1, signals({ kill: kill.signal }));
      await r.waitForRequests(1);
      kill.abort();
      const { result } = await pending;

      expect(result).toEqual({ kind: 'abandoned' });
      expect(Date.now() - started).toBeLessThan(15_000);
      await new Promise((res) => setTimeout(res, 200));
      expect((await parts.status(sub.id)).attempts).toHaveLength(0);
    });

    it('stopped (not killed) while a request hangs: the request ends by its timeout, then no retry follows', async () => {
      const r = await endpoint(behaviours.hang());
      const sub = subscribe(r.url);
      const stop = new AbortController();
      const pending = run(parts.deps(lookup, { requestTimeoutMs: 500 }), sub, 1, signals({ stop: stop.signal }));
      await r.waitForRequests(1);
      stop.abort();
      const { result } = await pending;

      expect(result).toEqual({ kind: 'abandoned' });
      expect(r.requests).toHaveLength(1);
    });
  });

  describe('subscriptions that receive no requests', () => {
    it.each<SubscriptionState>(['paused', 'deactivated', 'pending_verification'])('a %s subscription is skipped without a request', async (state) => {
      const r = await endpoint(behaviours.ok());
      const sub = subscribe(r.url, { state });
      const { result } = await run(parts.deps(lookup), sub, 1, signals());

      expect(result).toEqual({ kind: 'skipped', reason: `subscription ${state}` });
      expect(r.requests).toHaveLength(0);
    });

    it('a deleted subscription is skipped without a request', async () => {
      const r = await endpoint(behaviours.ok());
      const sub = subscribe(r.url);
      catalogue.delete(sub.id);
      const { result } = await run(parts.deps(lookup), sub, 1, signals());

      expect(result).toEqual({ kind: 'skipped', reason: 'subscription deleted' });
      expect(r.requests).toHaveLength(0);
    });

    it('a failing (parked) subscription still receives requests', async () => {
      const r = await endpoint(behaviours.ok());
      const sub = subscribe(r.url, { state: 'failing' });
      const { result } = await run(parts.deps(lookup), sub, 1, signals());

      expect(result).toEqual({ kind: 'delivered', attempts: 1 });
      expect(r.requests).toHaveLength(1);
    });

    it.each([
      { change: 'paused', apply: (s: StoredSubscription) => catalogue.set(s.id, { ...s, state: 'paused', revision: s.revision + 1 }), reason: 'subscription paused' },
      { change: 'deleted', apply: (s: StoredSubscription) => catalogue.delete(s.id), reason: 'subscription deleted' },
    ])('a subscription $change between two attempts is skipped at the next one', async ({ apply, reason }) => {
      const r = await endpoint(behaviours.ok());
      const sub = subscribe(r.url);
      r.behave(behaviours.custom(() => {
        apply(catalogue.get(sub.id) as StoredSubscription);
        return { status: 500 };
      }));
      const { result } = await run(parts.deps(lookup), sub, 1, signals());

      expect(result).toEqual({ kind: 'skipped', reason });
      expect(r.requests).toHaveLength(1);
    });
  });

  describe('what the body carries', () => {
    it('queueDepth is read at every attempt; retryCount starts at retryCountBase; a given webhook-id and first failure are kept', async () => {
      let n = 0;
      const r = await endpoint(behaviours.custom(() => ({ status: ++n < 3 ? 500 : 200 })));
      const sub = subscribe(r.url);
      let depth = 40;
      const { result } = await run(parts.deps(lookup), sub, 2, signals({ queueDepth: () => depth++, retryCountBase: 5, webhookId: 'msg_givenbyparking000000', firstFailureAtMs: 1_700_000_000_000 }));

      expect(result).toEqual({ kind: 'delivered', attempts: 3 });
      const bodies = r.requests.map(bodyOf);
      expect(bodies.map((b) => b.retryCount)).toEqual([5, 6, 7]);
      expect(bodies.map((b) => b.id)).toEqual(['msg_givenbyparking000000', 'msg_givenbyparking000000', 'msg_givenbyparking000000']);
      // Each attempt reads the depth once for the body (and again for the status record).
      expect(bodies[0]?.queueDepth).toBe(40);
      expect(bodies[1]?.queueDepth).toBeGreaterThan(bodies[0]?.queueDepth as number);
      expect(bodies[2]?.queueDepth).toBeGreaterThan(bodies[1]?.queueDepth as number);
    });

    it('a failure keeps the firstFailureAtMs it was given (a parked head keeps its first failure)', async () => {
      const r = await endpoint(behaviours.status(502));
      const sub = subscribe(r.url);
      const { result } = await run(parts.deps(lookup), sub, 1, signals({ maxAttempts: 1, firstFailureAtMs: 1_700_000_000_000 }));

      expect(result).toMatchObject({ kind: 'failed', failure: { firstFailureAtMs: 1_700_000_000_000, statusCode: 502 } });
    });

    it('a form-encoded subscription gets queueDepth and retryCount as form fields and data as JSON text', async () => {
      const r = await endpoint(behaviours.ok());
      const sub = subscribe(r.url, { contentType: 'application/x-www-form-urlencoded' });
      const { result, webhookId } = await run(parts.deps(lookup), sub, 2, signals({ queueDepth: () => 12 }));

      expect(result).toEqual({ kind: 'delivered', attempts: 1 });
      const req = r.requests[0] as RecordedRequest;
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(req.text);
      expect(form.get('id')).toBe(webhookId);
      expect(form.get('queueDepth')).toBe('12');
      expect(form.get('retryCount')).toBe('0');
      expect((JSON.parse(form.get('data') ?? 'null') as { seq: number }[]).map((d) => d.seq)).toEqual([1_010, 1_011]);
    });
  });
});
