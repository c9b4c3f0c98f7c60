import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDeliveryStatusSource } from '../../services/admin-api/redis-delivery-status-source.js';
import { attemptLogKey } from '../../services/shared/delivery-status-keys.js';
import { AdminApiHarness, accountKeys } from '../helpers/admin-api-harness.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

let h: AdminApiHarness;
let redis: Redis;
const prefix = `${uniqueName('attempts')}:`;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  redis = new Redis(stackEnv.redisUrl);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await h?.close();
});

describe('GET /v1/subscriptions/:id/attempts', () => {
  it('returns the attempt log the dispatcher wrote, newest first, limited, and only to the owning account', async () => {
    const app = await h.startInstance({}, new RedisDeliveryStatusSource(redis, prefix, h.logger));
    const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: 'http://127.0.0.1:9/hook', name: 'a', source: { kind: 'gps' } } });
    const id = (created.json as { subscription: { id: string } }).subscription.id;
    expect((await h.call(app, 'GET', `/v1/subscriptions/${id}/attempts`)).json).toEqual({ id, attempts: null });

    const attempt = (n: number, statusCode: number | null): Record<string, unknown> => ({
      at: `2025-01-01T00:00:0${n}.000Z`, statusCode, latencyMs: 10 + n, error: statusCode === 200 ? null : 'timed out waiting for the response', webhookId: `msg_${n}`,
    });
    // The dispatcher LPUSHes, so the newest is first.
    for (const [n, code] of [[1, null], [2, 503], [3, 200]] as const) await redis.lpush(attemptLogKey(prefix, id), JSON.stringify(attempt(n, code)));
    const all = await h.call(app, 'GET', `/v1/subscriptions/${id}/attempts`);
    expect(all.json).toEqual({ id, attempts: [attempt(3, 200), attempt(2, 503), attempt(1, null)] });
    const two = await h.call(app, 'GET', `/v1/subscriptions/${id}/attempts?limit=2`);
    expect((two.json as { attempts: unknown[] }).attempts).toHaveLength(2);

    const bad = await h.call(app, 'GET', `/v1/subscriptions/${id}/attempts?limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: 'query.limit' });
    expect((await h.call(app, 'GET', `/v1/subscriptions/${id}/attempts`, { key: accountKeys.acc_beta })).status).toBe(404);
    await h.stopInstance(app);
  });
});
