import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDeliveryStatusSource } from '../../services/admin-api/redis-delivery-status-source.js';
import { attemptLogKey, deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import { AdminApiHarness } from '../helpers/admin-api-harness.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

let h: AdminApiHarness;
let redis: Redis;
let deadRedis: Redis;
const prefix = `${uniqueName('status')}:`;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  redis = new Redis(stackEnv.redisUrl);
  deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  deadRedis.on('error', () => undefined);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  deadRedis.disconnect();
  await h?.close();
});

describe('subscription status', () => {
  it('shows null until the dispatcher reports figures, then exactly what it reported', async () => {
    const app = await h.startInstance({}, new RedisDeliveryStatusSource(redis, prefix, h.logger));
    const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: 'http://127.0.0.1:9/hook', name: 's', source: { kind: 'gps' } } });
    const id = (created.json as { subscription: { id: string } }).subscription.id;

    const before = await h.call(app, 'GET', `/v1/subscriptions/${id}/status`);
    expect(before.json).toEqual({
      id, state: 'pending_verification', verifiedAt: null,
      delivery: { backlogSize: null, totalMessages: null, totalDelivered: null, lastSuccessAt: null, lastFailureAt: null, lastError: null, nextRetryAt: null, recentAttempts: null },
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
