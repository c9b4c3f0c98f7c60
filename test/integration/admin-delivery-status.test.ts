import { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { RedisDeliveryStatusSource } from '../../services/admin-api/redis-delivery-status-source.js';
import { attemptLogKey, deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import { producerOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { SubscriptionWriter } from '../../services/shared/subscriptions/subscription-writer.js';
import type { SubscriptionState } from '../../services/shared/subscriptions/subscription-types.js';
import { AdminApiHarness } from '../helpers/admin-api-harness.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

let h: AdminApiHarness;
let producer: Producer;
let redis: Redis;
let deadRedis: Redis;
const prefix = `${uniqueName('status')}:`;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  producer = h.kafka.producer(reliableProducerConfig);
  await producer.connect();
  redis = new Redis(stackEnv.redisUrl);
  deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  deadRedis.on('error', () => undefined);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  deadRedis.disconnect();
  await producer?.disconnect();
  await h?.close();
});

/** Sets the state in the catalogue the way the dispatcher does (parking-io.ts `changeState`): a new record, revision + 1. */
async function putState(app: AdminApp, id: string, state: SubscriptionState): Promise<void> {
  const current = app.catalogue.get(id);
  if (current === undefined) throw new Error(`${id} is not in the catalogue`);
  const at = await new SubscriptionWriter(producerOf(producer), h.topic).put({ ...current, state, revision: current.revision + 1, updatedAt: new Date().toISOString() });
  await app.catalogue.waitForOffset(at.partition, at.offset, 15_000);
}

describe('subscription status', () => {
  it('shows null until the dispatcher reports figures, then exactly what it reported', async () => {
    const app = await h.startInstance({}, new RedisDeliveryStatusSource(redis, prefix, h.logger));
    const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: 'http://127.0.0.1:9/hook', name: 's', source: { kind: 'gps' } } });
    const id = (created.json as { subscription: { id: string } }).subscription.id;

    const before = await h.call(app, 'GET', `/v1/subscriptions/${id}/status`);
    expect(before.json).toEqual({
      id, state: 'pending_verification', verifiedAt: null,
      delivery: { backlogSize: null, currentTier: null, firstFailureAt: null, totalMessages: null, totalDelivered: null, lastSuccessAt: null, lastFailureAt: null, lastError: null, nextRetryAt: null, recentAttempts: null },
      recovery: null,
    });

    // What the dispatcher writes (shared/delivery-status-keys.ts).
    const attempt = { at: '2025-01-01T00:00:01.000Z', statusCode: 503, latencyMs: 12, error: 'status 503', webhookId: 'msg_1' };
    await redis.hset(deliveryStatusKey(prefix, id), { totalMessages: '40', totalDelivered: '30', backlogSize: '10', lastFailureAt: attempt.at, lastError: 'status 503', nextRetryAt: '2025-01-01T00:05:01.000Z' });
    await redis.lpush(attemptLogKey(prefix, id), JSON.stringify(attempt), 'not json');
    const after = await h.call(app, 'GET', `/v1/subscriptions/${id}/status`);
    expect(after.json).toMatchObject({
      delivery: { backlogSize: 10, totalMessages: 40, totalDelivered: 30, lastSuccessAt: null, lastError: 'status 503', nextRetryAt: '2025-01-01T00:05:01.000Z', recentAttempts: [attempt] },
    });
    await h.stopInstance(app);
  });

  it('shows the parking fields the dispatcher wrote, with the state from the catalogue, and nulls once it cleared them', async () => {
    const app = await h.startInstance({}, new RedisDeliveryStatusSource(redis, prefix, h.logger));
    const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: 'http://127.0.0.1:9/hook', name: 'parked', source: { kind: 'gps' } } });
    const id = (created.json as { subscription: { id: string } }).subscription.id;
    await putState(app, id, 'failing');

    // What the dispatcher's recorder writes while the subscription is parked (delivery-status-recorder.ts `parking`).
    const parked = { currentTier: 'webhook.retry.35m', nextRetryAt: '2025-01-01T01:00:00.000Z', firstFailureAt: '2025-01-01T00:00:00.000Z', lastError: 'status 503', backlogSize: '160' };
    await redis.hset(deliveryStatusKey(prefix, id), parked);
    const r = await h.call(app, 'GET', `/v1/subscriptions/${id}/status`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      id, state: 'failing', verifiedAt: null,
      delivery: {
        backlogSize: 160, currentTier: 'webhook.retry.35m', firstFailureAt: parked.firstFailureAt, nextRetryAt: parked.nextRetryAt, lastError: 'status 503',
        // Not written here, so not shown: nothing is derived from the other fields.
        totalMessages: null, totalDelivered: null, lastSuccessAt: null, lastFailureAt: null, recentAttempts: [],
      },
      recovery: null,
    });

    // The pause-24h policy's limit: tier `paused`, no next retry.
    await putState(app, id, 'paused');
    await redis.hset(deliveryStatusKey(prefix, id), { currentTier: 'paused' });
    await redis.hdel(deliveryStatusKey(prefix, id), 'nextRetryAt');
    expect((await h.call(app, 'GET', `/v1/subscriptions/${id}/status`)).json).toMatchObject({ state: 'paused', delivery: { currentTier: 'paused', nextRetryAt: null, firstFailureAt: parked.firstFailureAt } });

    // Drained: the dispatcher removes the parking fields and sets the backlog to 0.
    await putState(app, id, 'active');
    await redis.hdel(deliveryStatusKey(prefix, id), 'currentTier', 'firstFailureAt');
    await redis.hset(deliveryStatusKey(prefix, id), { backlogSize: '0' });
    expect((await h.call(app, 'GET', `/v1/subscriptions/${id}/status`)).json).toMatchObject({
      state: 'active', delivery: { backlogSize: 0, currentTier: null, firstFailureAt: null, nextRetryAt: null, lastError: 'status 503' },
    });
    await h.stopInstance(app);
  });

  it('shows null, not a guess, for a time or count that is not what the dispatcher writes', async () => {
    const app = await h.startInstance({}, new RedisDeliveryStatusSource(redis, prefix, h.logger));
    const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: 'http://127.0.0.1:9/hook', name: 'garbled', source: { kind: 'dtc' } } });
    const id = (created.json as { subscription: { id: string } }).subscription.id;
    await redis.hset(deliveryStatusKey(prefix, id), { firstFailureAt: 'yesterday', nextRetryAt: '1735693200000', backlogSize: '-3', currentTier: '' });
    const r = await h.call(app, 'GET', `/v1/subscriptions/${id}/status`);
    expect(r.json).toMatchObject({ delivery: { firstFailureAt: null, nextRetryAt: null, backlogSize: null, currentTier: null } });
    await h.stopInstance(app);
  });

  it('still answers, with nulls, when Redis is unreachable', async () => {
    const app = await h.startInstance({}, new RedisDeliveryStatusSource(deadRedis, prefix, h.logger));
    const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: 'http://127.0.0.1:9/hook', name: 's', source: { kind: 'dtc' } } });
    const id = (created.json as { subscription: { id: string } }).subscription.id;
    const r = await h.call(app, 'GET', `/v1/subscriptions/${id}/status`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ delivery: { totalDelivered: null, recentAttempts: null } });
    await h.stopInstance(app);
  });
});
