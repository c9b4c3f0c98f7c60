import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptLogKey, decodeLoggedAttempt, deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { stackEnv } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

interface Body { id: string; type: string; mode: string; subscriptionId: string; retryCount: number; data: { vehicleId: string; seq: number; code?: string }[] }
const bodyOf = (r: RecordedRequest): Body => JSON.parse(r.text) as Body;

describe('dispatcher requests (real stack)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];
  const receiver = async (): Promise<WebhookReceiver> => {
    const r = await WebhookReceiver.start(behaviours.ok());
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    h = await DispatcherHarness.create();
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('delivers matched GPS points signed, in order, one vehicle per request, and records status in Redis', async () => {
    const r = await receiver();
    const sub = await h.subscribe({ url: r.url, batching: { maxItems: 500, maxWaitMs: 300 } });
    await h.startInProcess();
    await h.publish({ gps: [1, 2, 3, 4, 5].flatMap((s) => [gpsPoint('veh_a', s), gpsPoint('veh_b', s), gpsPoint('veh_c', s, 'acc_other')]) });
    const requests = await waitFor(() => {
      const items = r.requests.flatMap((q) => bodyOf(q).data);
      return items.length >= 10 && r.requests;
    }, { timeoutMs: 30_000, what: '10 items at the receiver' });
    for (const req of requests) {
      const body = bodyOf(req);
      expect(() => new Webhook(sub.signing.current).verify(req.text, req.headers)).not.toThrow();
      expect(req.headers['webhook-id']).toBe(body.id);
      expect(body).toMatchObject({ type: 'gps', mode: 'live', subscriptionId: sub.id, retryCount: 0 });
      expect(new Set(body.data.map((d) => d.vehicleId)).size).toBe(1);
      expect(req.headers['user-agent']).toMatch(/^fleethook/);
    }
    const items = requests.flatMap((q) => bodyOf(q).data);
    for (const v of ['veh_a', 'veh_b']) expect(items.filter((d) => d.vehicleId === v).map((d) => d.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(items.some((d) => d.vehicleId === 'veh_c')).toBe(false);

    const redis = new Redis(stackEnv.redisUrl);
    try {
      const prefix = h.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '';
      const status = await waitFor(async () => {
        const s = await redis.hgetall(deliveryStatusKey(prefix, sub.id));
        return Number(s.totalDelivered) >= 10 && s;
      }, { what: 'status counters' });
      expect(Number(status.totalMessages)).toBeGreaterThanOrEqual(10);
      expect(status.lastSuccessAt).toBeTruthy();
      const attempts = (await redis.lrange(attemptLogKey(prefix, sub.id), 0, -1)).map(decodeLoggedAttempt);
      expect(attempts.length).toBe(requests.length);
      expect(attempts[0]).toMatchObject({ statusCode: 200, error: null });
    } finally {
      redis.disconnect();
    }
  });
});
