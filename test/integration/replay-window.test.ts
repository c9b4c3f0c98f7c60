import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminApp } from '../../services/admin-api/admin-app.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadConfig } from '../../services/admin-api/config.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { accountKeys } from '../helpers/admin-api-harness.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import type { DispatcherProcess } from '../helpers/dispatcher-harness.js';
import { range, sleep } from '../helpers/parking-checks.js';
import { stackEnv } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

/**
 * Issue 15 part 2 on the real stack: `POST /v1/subscriptions/:id/replays` re-delivers the
 * subscription's telemetry of a window as a stream of its own (mode replay, replayId, new
 * webhook-ids), run by the dispatcher (a child process, so it can be SIGKILLed) at the
 * instance's replay rate; GET shows the progress, DELETE cancels; another account sees 404.
 */
interface Body { id: string; mode: string; replayId?: string; data: { vehicleId: string; seq: number; time: string }[] }
const parse = (r: RecordedRequest): Body => JSON.parse(r.text) as Body;

let h: DispatcherHarness;
let admin: AdminApp;
let redis: Redis;
let endpoint: WebhookReceiver;
let proc: DispatcherProcess;
let sub: Subscription;
let from: string;
let to: string;
/** Replay requests are answered after this long (the SIGKILL test kills one in flight). */
let replayDelayMs = 0;
let onReplayRequest: (body: Body) => void = () => undefined;
const perVehicle = 12;

async function call(method: string, path: string, options: { key?: string; body?: unknown } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? accountKeys.acc_alpha}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${admin.port}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await res.text();
  return { status: res.status, json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

const replaysOf = (replayId: string): Body[] => endpoint.requests.map(parse).filter((b) => b.mode === 'replay' && b.replayId === replayId);
const state = async (replayId: string): Promise<Record<string, unknown>> => (await call('GET', `/v1/subscriptions/${sub.id}/replays/${replayId}`)).json;

/** Per vehicle, the seqs of the distinct requests (first arrival of each webhook-id), in arrival order. */
function seqsByVehicle(bodies: readonly Body[]): Map<string, number[]> {
  const seen = new Set<string>();
  const out = new Map<string, number[]>();
  for (const b of bodies) {
    if (seen.has(b.id)) continue;
    seen.add(b.id);
    for (const item of b.data) out.set(item.vehicleId, [...(out.get(item.vehicleId) ?? []), item.seq]);
  }
  return out;
}

beforeAll(async () => {
  h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_REPLAY_REQUESTS_PER_SECOND: '8' });
  endpoint = await WebhookReceiver.start(behaviours.custom(async (req) => {
    const body = parse(req);
    if (body.mode === 'replay') {
      onReplayRequest(body);
      if (replayDelayMs > 0) await sleep(replayDelayMs);
    }
    return { status: 200 };
  }));
  redis = new Redis(stackEnv.redisUrl);
  const config = loadConfig({
    FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','), FLEETHOOK_TOPIC_PREFIX: h.prefix, FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
    FLEETHOOK_REDIS_KEY_PREFIX: h.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '', FLEETHOOK_SECRET_KEYS: h.env.FLEETHOOK_SECRET_KEYS ?? '', FLEETHOOK_SECRET_ACTIVE_KEY_ID: 'k1',
    FLEETHOOK_ADMIN_HOST: '127.0.0.1', FLEETHOOK_ADMIN_PORT: '0', FLEETHOOK_ADMIN_ALLOW_HTTP: 'true', FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '127.0.0.0/8', FLEETHOOK_ADMIN_ALLOWED_PORTS: '1-65535',
    FLEETHOOK_ADMIN_ACCOUNT_KEYS: Object.entries(accountKeys).map(([a, k]) => `${a}:${k}`).join(','),
  });
  admin = await startAdminApp({ config, kafka: kafkaClientOf(h.kafka), logger: createLogger('admin-api', { level: 'warn', write: () => undefined }), redis });
  proc = await h.startProcess();
  sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_alpha', batching: { maxItems: 2, maxWaitMs: 100 }, vehicleFilter: { vehicleIds: ['veh_a', 'veh_b'] } });
  await waitFor(async () => (await call('GET', `/v1/subscriptions/${sub.id}`)).status === 200, { timeoutMs: 20_000, what: 'the admin API to see the subscription' });
  from = new Date(Date.now() - 1_000).toISOString();
  // In the window: 12 points of each vehicle, and another vehicle the subscription does not take.
  await h.publish({ gps: [...range(1, perVehicle).flatMap((s) => [gpsPoint('veh_a', s), gpsPoint('veh_b', s), gpsPoint('veh_z', s)])] });
  await sleep(20);
  to = new Date().toISOString();
  await sleep(20);
  // After the window: live data only.
  await h.publish({ gps: range(50, 54).map((s) => gpsPoint('veh_a', s)) });
  await waitFor(() => endpoint.requests.map(parse).filter((b) => b.mode === 'live').reduce((n, b) => n + b.data.length, 0) >= 2 * perVehicle + 5, { timeoutMs: 60_000, what: 'the live delivery' });
}, 120_000);

afterAll(async () => {
  await admin?.close();
  await h?.close();
  await endpoint?.close();
  redis?.disconnect();
});

describe('replays', () => {
  it('refuses bad input naming the field, a window older than Kafka keeps (409 with the earliest time), and another account (404)', async () => {
    const post = (body: unknown, key?: string) => call('POST', `/v1/subscriptions/${sub.id}/replays`, { body, ...(key === undefined ? {} : { key }) });
    expect(await post({})).toMatchObject({ status: 400, json: { field: 'from' } });
    expect(await post({ from: 'yesterday' })).toMatchObject({ status: 400, json: { field: 'from' } });
    expect(await post({ from, to: 5 })).toMatchObject({ status: 400, json: { field: 'to' } });
    expect(await post({ from, until: to })).toMatchObject({ status: 400, json: { field: 'until' } });
    expect(await post({ from: to, to: from })).toMatchObject({ status: 422, json: { code: 'invalid_range', field: 'from' } });
    const old = await post({ from: new Date(Date.now() - 9 * 86_400_000).toISOString() });
    expect(old).toMatchObject({ status: 409, json: { code: 'replay_window_expired', field: 'from' } });
    // The catalogue keeps telemetry 8 days: the earliest time is named.
    const earliest = /earliest time available is (\S+)$/.exec(String(old.json.message))?.[1];
    expect(Math.abs(Date.parse(earliest ?? '') - (Date.now() - 8 * 86_400_000))).toBeLessThan(60_000);
    expect(await post({ from }, accountKeys.acc_beta)).toMatchObject({ status: 404, json: { code: 'not_found' } });
    expect(await call('GET', `/v1/subscriptions/${sub.id}/replays/rpl_000000000000000000000000`)).toMatchObject({ status: 404, json: { field: 'replayId' } });
    expect(await call('GET', `/v1/subscriptions/${sub.id}/replays/nonsense`)).toMatchObject({ status: 404 });
  });

  it('delivers exactly the window\'s items of the subscription, in order per vehicle, as its own stream beside live data', async () => {
    const started = await call('POST', `/v1/subscriptions/${sub.id}/replays`, { body: { from, to } });
    expect(started).toMatchObject({ status: 202, json: { state: 'queued', subscriptionId: sub.id, from, to } });
    const replayId = String(started.json.id);
    // Another account neither sees nor cancels it.
    expect(await call('GET', `/v1/subscriptions/${sub.id}/replays/${replayId}`, { key: accountKeys.acc_beta })).toMatchObject({ status: 404 });
    expect(await call('DELETE', `/v1/subscriptions/${sub.id}/replays/${replayId}`, { key: accountKeys.acc_beta })).toMatchObject({ status: 404 });
    // Live data keeps flowing during the replay: its latency is printed (a figure, not an assertion).
    const liveFrom = endpoint.requests.length;
    let seq = 100;
    let replaying = true;
    const live = (async () => {
      while (replaying) {
        await h.publish({ gps: [gpsPoint('veh_b', seq++)] });
        await sleep(100);
      }
    })();
    await waitFor(async () => (await state(replayId)).state === 'done', { timeoutMs: 60_000, intervalMs: 200, what: 'the replay to finish' });
    replaying = false;
    await live;
    const bodies = replaysOf(replayId);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(bodies.length);
    expect(Object.fromEntries(seqsByVehicle(bodies))).toEqual({ veh_a: range(1, perVehicle), veh_b: range(1, perVehicle) });
    expect(bodies.every((b) => b.data.length <= 2 && new Set(b.data.map((i) => i.vehicleId)).size === 1)).toBe(true);
    const liveIds = new Set(endpoint.requests.map(parse).filter((b) => b.mode === 'live').map((b) => b.id));
    expect(bodies.some((b) => liveIds.has(b.id))).toBe(false);
    expect(await state(replayId)).toMatchObject({ state: 'done', requestsSent: bodies.length, itemsSent: 2 * perVehicle, error: null });
    // In the delivery log like any request, with its exact body.
    const first = bodies[0] as Body;
    const logged = await waitFor(async () => {
      const r = await call('GET', `/v1/messages/${first.id}`);
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 20_000, intervalMs: 300, what: 'the replay request in the message log' });
    expect(JSON.parse(String(logged.json.body))).toMatchObject({ id: first.id, mode: 'replay', replayId, data: first.data });
    const latencies = endpoint.requests.slice(liveFrom).flatMap((r) => {
      const b = parse(r);
      return b.mode === 'live' ? b.data.map((i) => r.receivedAt - Date.parse(i.time)) : [];
    }).sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
    console.log(`live p99 during a replay: ${p99} ms over ${latencies.length} items (batch window 100 ms; replay ${bodies.length} requests at 8/s)`);
    expect(latencies.length).toBeGreaterThan(0);
  }, 90_000);

  it('replays 10 minutes of record time: exactly the points whose time lies in the window, in order', async () => {
    const timed = await h.subscribe({ url: endpoint.url, accountId: 'acc_alpha', batching: { maxItems: 4, maxWaitMs: 100 }, vehicleFilter: { vehicleIds: ['veh_t'] } });
    await waitFor(async () => (await call('GET', `/v1/subscriptions/${timed.id}`)).status === 200, { timeoutMs: 20_000, what: 'the admin API to see the subscription' });
    // One point a minute over the last 14 minutes, published now (seq 1 was recorded 14 minutes ago).
    const now = Date.now();
    await h.publish({ gps: range(1, 14).map((s) => ({ ...gpsPoint('veh_t', s), time: now - (15 - s) * 60_000 })) });
    const liveOf = (): number => endpoint.requests.map(parse).filter((b) => b.mode === 'live').flatMap((b) => b.data).filter((i) => i.vehicleId === 'veh_t').length;
    await waitFor(() => liveOf() >= 14, { timeoutMs: 30_000, what: 'the 14 points delivered live' });
    // The window [now - 12.5 min, now - 2.5 min] holds seq 3..12.
    const window = { from: new Date(now - 750_000).toISOString(), to: new Date(now - 150_000).toISOString() };
    const started = await call('POST', `/v1/subscriptions/${timed.id}/replays`, { body: window });
    expect(started.status).toBe(202);
    const replayId = String(started.json.id);
    await waitFor(async () => (await call('GET', `/v1/subscriptions/${timed.id}/replays/${replayId}`)).json.state === 'done', { timeoutMs: 60_000, intervalMs: 200, what: 'the 10-minute replay to finish' });
    const bodies = replaysOf(replayId);
    expect(Object.fromEntries(seqsByVehicle(bodies))).toEqual({ veh_t: range(3, 12) });
    expect(bodies.every((b) => b.mode === 'replay' && b.data.every((i) => Date.parse(i.time) >= Date.parse(window.from) && Date.parse(i.time) <= Date.parse(window.to)))).toBe(true);
  }, 90_000);

  it('stops a cancelled replay: no request after the cancel is read', async () => {
    replayDelayMs = 150;
    const started = await call('POST', `/v1/subscriptions/${sub.id}/replays`, { body: { from, to } });
    const replayId = String(started.json.id);
    await waitFor(() => replaysOf(replayId).length >= 2, { timeoutMs: 30_000, what: 'the replay to start' });
    expect(await call('DELETE', `/v1/subscriptions/${sub.id}/replays/${replayId}`)).toMatchObject({ status: 202, json: { id: replayId } });
    await waitFor(async () => (await state(replayId)).state === 'cancelled', { timeoutMs: 30_000, intervalMs: 200, what: 'the cancel' });
    const sent = replaysOf(replayId).length;
    await sleep(1_000);
    expect(replaysOf(replayId).length).toBe(sent);
    expect(sent).toBeLessThan(perVehicle);
    expect(await state(replayId)).toMatchObject({ state: 'cancelled' });
    // Cancelling an ended replay shows it as it is.
    expect(await call('DELETE', `/v1/subscriptions/${sub.id}/replays/${replayId}`)).toMatchObject({ status: 202, json: { state: 'cancelled' } });
  }, 60_000);

  it('resumes after a SIGKILL of its dispatcher without loss, the request in flight repeated under its webhook-id', async () => {
    replayDelayMs = 300;
    const cut: { body: Body | null; killed: Promise<void> | null } = { body: null, killed: null };
    onReplayRequest = (body) => {
      if (cut.killed === null && replaysOf(body.replayId ?? '').length >= 3) {
        cut.body = body;
        cut.killed = h.kill(proc);
      }
    };
    const started = await call('POST', `/v1/subscriptions/${sub.id}/replays`, { body: { from, to } });
    const replayId = String(started.json.id);
    await waitFor(() => cut.killed !== null, { timeoutMs: 30_000, what: 'the kill mid-replay' });
    await cut.killed;
    onReplayRequest = () => undefined;
    replayDelayMs = 0;
    proc = await h.startProcess();
    await waitFor(async () => (await state(replayId)).state === 'done', { timeoutMs: 90_000, intervalMs: 300, what: 'the replay to finish on the new owner' });
    const bodies = replaysOf(replayId);
    expect(Object.fromEntries(seqsByVehicle(bodies))).toEqual({ veh_a: range(1, perVehicle), veh_b: range(1, perVehicle) });
    // Every repeat carries exactly the items of its first sending; the one cut in flight was repeated.
    const byId = new Map<string, string>();
    for (const b of bodies) {
      const items = JSON.stringify(b.data);
      expect(byId.get(b.id) ?? items).toBe(items);
      byId.set(b.id, items);
    }
    expect(cut.body?.replayId).toBe(replayId);
    expect(bodies.filter((b) => b.id === cut.body?.id).length).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
