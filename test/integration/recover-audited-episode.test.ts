import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminApp } from '../../services/admin-api/admin-app.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadConfig } from '../../services/admin-api/config.js';
import { RedisDeliveryStatusSource } from '../../services/admin-api/redis-delivery-status-source.js';
import type { DispatcherApp } from '../../services/dispatcher/dispatcher-app.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { accountKeys } from '../helpers/admin-api-harness.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { bodyOf, range, sleep } from '../helpers/parking-checks.js';
import { readTopic } from '../helpers/topic-reader.js';
import { stackEnv } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

/**
 * Issue 15 part 1 on the real stack: a subscription is deactivated by its retry policy
 * (disable-10m compressed to ~6 s), its data audited; reactivated, `POST …/recover` brings
 * every audited item back once, in order, before the live data sent after the call.
 */
let h: DispatcherHarness;
let admin: AdminApp;
let redis: Redis;
let up = false;
const accepted: RecordedRequest[] = [];
let endpoint: WebhookReceiver;
const adminLog: string[] = [];
let dispatcher: DispatcherApp;
let first: Subscription;
let second: Subscription;

async function call(method: string, path: string, options: { key?: string; body?: unknown } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? accountKeys.acc_alpha}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${admin.port}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await res.text();
  return { status: res.status, json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

beforeAll(async () => {
  h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(6_000 / 600_000) });
  endpoint = await WebhookReceiver.start(behaviours.custom(async (req) => {
    if (!up) return { status: 500 };
    // Slow enough that live items sent right after the recover call arrive while it is still being delivered.
    await sleep(150);
    accepted.push(req);
    return { status: 200 };
  }));
  redis = new Redis(stackEnv.redisUrl);
  const config = loadConfig({
    FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','), FLEETHOOK_TOPIC_PREFIX: h.prefix, FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
    FLEETHOOK_REDIS_KEY_PREFIX: h.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '', FLEETHOOK_SECRET_KEYS: h.env.FLEETHOOK_SECRET_KEYS ?? '', FLEETHOOK_SECRET_ACTIVE_KEY_ID: 'k1',
    FLEETHOOK_ADMIN_HOST: '127.0.0.1', FLEETHOOK_ADMIN_PORT: '0', FLEETHOOK_ADMIN_ALLOW_HTTP: 'true', FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '127.0.0.0/8', FLEETHOOK_ADMIN_ALLOWED_PORTS: '1-65535',
    FLEETHOOK_ADMIN_ACCOUNT_KEYS: Object.entries(accountKeys).map(([a, k]) => `${a}:${k}`).join(','),
  });
  const logger = createLogger('admin-api', { level: 'info', write: (l) => adminLog.push(l) });
  admin = await startAdminApp({ config, kafka: kafkaClientOf(h.kafka), logger, redis, statusSource: new RedisDeliveryStatusSource(redis, config.redisKeyPrefix, logger) });
  // Two subscriptions deactivated by their retry policy at once, their data audited: one per test below.
  dispatcher = await h.startInProcess();
  first = await h.subscribe({ url: endpoint.url, accountId: 'acc_alpha', retryPolicy: 'disable-10m', batching: { maxItems: 5, maxWaitMs: 100 }, vehicleFilter: { vehicleIds: ['veh_r'] } });
  second = await h.subscribe({ url: endpoint.url, accountId: 'acc_alpha', retryPolicy: 'disable-10m', batching: { maxItems: 2, maxWaitMs: 100 }, vehicleFilter: { vehicleIds: ['veh_k'] } });
  await h.publish({ gps: [...range(1, 12).map((s) => gpsPoint('veh_r', s, 'acc_alpha')), ...range(1, 16).map((s) => gpsPoint('veh_k', s, 'acc_alpha'))] });
  for (const sub of [first, second]) {
    await waitFor(() => dispatcher.catalogue.get(sub.id)?.state === 'deactivated', { timeoutMs: 40_000, what: 'the subscription to be deactivated' });
    await waitFor(() => !dispatcher.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 20_000, what: 'the audit' });
  }
}, 120_000);

afterAll(async () => {
  await admin?.close();
  await h?.close();
  await endpoint?.close();
  redis?.disconnect();
});

describe('POST /v1/subscriptions/:id/recover', () => {
  it('re-delivers every audited item of the deactivation once, in order, before the live data sent after it; once per episode', async () => {
    const sub = first;
    const app = dispatcher;
    const recover = (options: { key?: string; body?: unknown } = {}) => call('POST', `/v1/subscriptions/${sub.id}/recover`, options);

    // Not active yet: refused, naming the state; another account sees nothing; bad bodies name the field.
    expect(await recover()).toMatchObject({ status: 409, json: { code: 'conflict', field: 'state' } });
    expect(await recover({ key: accountKeys.acc_beta })).toMatchObject({ status: 404, json: { code: 'not_found', field: 'id' } });
    expect(await recover({ body: { episodeId: 5 } })).toMatchObject({ status: 400, json: { field: 'episodeId' } });
    expect(await recover({ body: { episode: 'x' } })).toMatchObject({ status: 400, json: { field: 'episode' } });

    expect((await call('POST', `/v1/subscriptions/${sub.id}/reactivate`)).json).toMatchObject({ state: 'active' });
    await waitFor(() => app.catalogue.get(sub.id)?.state === 'active', { what: 'the dispatcher to see the reactivation' });
    expect(await recover({ body: { episodeId: 'pke_unknown' } })).toMatchObject({ status: 404, json: { code: 'not_found', field: 'episodeId' } });
    expect(await recover({ key: accountKeys.acc_beta })).toMatchObject({ status: 404 });
    up = true;

    const started = await recover({ body: {} });
    expect(started).toMatchObject({ status: 202, json: { subscriptionId: sub.id, items: 12, ownerReady: true } });
    await h.publish({ gps: range(13, 20).map((s) => gpsPoint('veh_r', s, 'acc_alpha')) });
    const seqs = await waitFor(() => {
      const got = accepted.flatMap((r) => bodyOf(r).data.map((d) => d.seq));
      return got.length >= 20 && got;
    }, { timeoutMs: 30_000, what: 'the recovered and the live items' });
    await sleep(500);
    expect(accepted.flatMap((r) => bodyOf(r).data.map((d) => d.seq))).toEqual(range(1, 20));
    expect(seqs).toEqual(range(1, 20));
    expect(new Set(accepted.map((r) => r.headers['webhook-id'])).size).toBe(accepted.length);

    const episodeId = started.json.episodeId as string;
    const status = await waitFor(async () => {
      const s = await call('GET', `/v1/subscriptions/${sub.id}/status`);
      return (s.json.recovery as { left?: number } | null)?.left === 0 && s.json;
    }, { what: 'the recovery status' });
    expect(status.recovery).toMatchObject({ id: started.json.recoveryId, episodeId, items: 12, recovered: 12, left: 0 });

    // The same episode again, by default or by name: refused, nothing sent.
    expect(await recover()).toMatchObject({ status: 409, json: { code: 'already_recovered', field: 'episodeId' } });
    expect(await recover({ body: { episodeId } })).toMatchObject({ status: 409, json: { code: 'already_recovered' } });
    const audit = (await readTopic(h.kafka, h.topics.get('webhook.audit').name)).filter((r) => r.key === sub.id);
    expect(audit).toHaveLength(13);
    await sleep(500);
    expect(accepted.flatMap((r) => bodyOf(r).data)).toHaveLength(20);
  }, 120_000);

  it('survives the dispatcher killed mid-recovery: the next owner finishes it in order; only the request in flight is repeated, under its webhook-id', async () => {
    const sub = second;
    const app = dispatcher;
    expect((await call('POST', `/v1/subscriptions/${sub.id}/reactivate`)).json).toMatchObject({ state: 'active' });
    // From here on a dispatcher that can be SIGKILLed owns the partitions.
    await app.close();
    h.apps.splice(h.apps.indexOf(app), 1);
    const killed = await h.startProcess();
    accepted.length = 0;
    up = true;
    expect(await call('POST', `/v1/subscriptions/${sub.id}/recover`)).toMatchObject({ status: 202, json: { items: 16, ownerReady: true } });
    await waitFor(() => accepted.filter((r) => bodyOf(r).data[0]?.vehicleId === 'veh_k').length >= 3, { timeoutMs: 60_000, what: 'part of the recovery' });
    await h.kill(killed, 'SIGKILL');
    await h.startProcess();
    await h.publish({ gps: range(17, 20).map((s) => gpsPoint('veh_k', s, 'acc_alpha')) });
    const requests = await waitFor(() => {
      const mine = accepted.filter((r) => bodyOf(r).data[0]?.vehicleId === 'veh_k');
      return new Set(mine.flatMap((r) => bodyOf(r).data.map((d) => d.seq))).size >= 20 && mine;
    }, { timeoutMs: 60_000, what: 'the rest of the recovery and the live items' });
    const firstSeen: number[] = [];
    const idOf = new Map<number, string>();
    let repeated = 0;
    for (const r of requests) {
      for (const d of bodyOf(r).data) {
        const id = String(r.headers['webhook-id']);
        if (idOf.has(d.seq)) {
          repeated++;
          // A repeat is the request that was in flight, under the webhook-id it had.
          expect(idOf.get(d.seq)).toBe(id);
        } else {
          idOf.set(d.seq, id);
          firstSeen.push(d.seq);
        }
      }
    }
    expect(firstSeen).toEqual(range(1, 20));
    expect(repeated).toBeLessThanOrEqual(2);
  }, 180_000);

  it('refuses a subscription with nothing audited (409 nothing_to_recover)', async () => {
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_alpha' });
    expect(await call('POST', `/v1/subscriptions/${sub.id}/recover`)).toMatchObject({ status: 409, json: { code: 'nothing_to_recover', field: 'episodeId' } });
  }, 30_000);
});
