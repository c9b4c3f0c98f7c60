import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptLogKey, decodeLoggedAttempt, deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import type { Dtc, VehicleEvent } from '../../schemas/telemetry-records.js';
import { stackEnv } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

interface Body { id: string; type: string; eventName: string; mode: string; subscriptionId: string; retryCount: number; enqueueTime: string; requestTime: string; data: { vehicleId: string; seq: number; code?: string }[] }
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
    if (process.env.DEBUG_DISPATCHER) console.log(h.logLines.join('\n'));
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('delivers matched GPS points signed, in order, one vehicle per request, and records status in Redis', async () => {
    const r = await receiver();
    const sub = await h.subscribe({ url: r.url, batching: { maxItems: 500, maxWaitMs: 300 } });
    await h.startInProcess();
    const publishedAt = Date.now();
    await h.publish({ gps: [1, 2, 3, 4, 5].flatMap((s) => [gpsPoint('veh_a', s), gpsPoint('veh_b', s), gpsPoint('veh_c', s, 'acc_other')]) });
    const requests = await waitFor(() => {
      const items = r.requests.flatMap((q) => bodyOf(q).data);
      return items.length >= 10 && r.requests;
    }, { timeoutMs: 30_000, what: '10 items at the receiver' });
    for (const req of requests) {
      const body = bodyOf(req);
      expect(() => new Webhook(sub.signing.current).verify(req.text, req.headers)).not.toThrow();
      expect(req.headers['webhook-id']).toBe(body.id);
      expect(body).toMatchObject({ type: 'gps', eventName: 'gps', mode: 'live', subscriptionId: sub.id, retryCount: 0 });
      // Queued after the publish (10 ms for clock granularity), sent after it was queued, received after it was sent.
      const [queued, sent] = [Date.parse(body.enqueueTime), Date.parse(body.requestTime)];
      expect(queued).toBeGreaterThanOrEqual(publishedAt - 10);
      expect(sent).toBeGreaterThanOrEqual(queued);
      expect(req.receivedAt).toBeGreaterThanOrEqual(sent - 10);
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

  it('sends each auth method\'s headers, and form bodies that a standard parser reads', async () => {
    const r = await receiver();
    const hooks = [
      { auth: { type: 'basic', userName: 'u', password: 'p@ss' }, header: 'authorization', value: `Basic ${Buffer.from('u:p@ss').toString('base64')}` },
      { auth: { type: 'bearer', tokenValue: 'tok-1' }, header: 'authorization', value: 'Bearer tok-1' },
      { auth: { type: 'apikey', tokenValue: 'key-1' }, header: 'apikey', value: 'key-1' },
      { auth: { type: 'custom', tokenName: 'X-Fleet-Token', tokenValue: 'ct-1', authorization: 'Fixed abc' }, header: 'x-fleet-token', value: 'ct-1' },
    ] as const;
    const subs = await Promise.all(hooks.map((hk) => h.subscribe({
      url: r.url, accountId: 'acc_auth', auth: hk.auth, contentType: 'application/x-www-form-urlencoded', batching: { maxItems: 10, maxWaitMs: 100 },
    })));
    await h.publish({ gps: [gpsPoint('veh_auth', 1, 'acc_auth')] });
    const requests = await r.waitForRequests(4, 30_000);
    for (const [i, hk] of hooks.entries()) {
      const sub = subs[i];
      const req = requests.find((q) => new URLSearchParams(q.text).get('subscriptionId') === sub?.id);
      expect(req?.headers[hk.header]).toBe(hk.value);
      expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(req?.text ?? '');
      expect(form.get('type')).toBe('gps');
      expect(form.get('eventName')).toBe('gps');
      expect(Date.parse(form.get('requestTime') ?? '')).toBeGreaterThanOrEqual(Date.parse(form.get('enqueueTime') ?? ''));
      expect((JSON.parse(form.get('data') ?? '[]') as { seq: number }[])[0]?.seq).toBe(1);
      // standardwebhooks' verify() also JSON-parses the body, so form bodies are checked against the spec directly.
      expect(specSignatureValid(sub?.signing.current ?? '', req?.headers ?? {}, req?.text ?? '')).toBe(true);
    }
    expect(requests.find((q) => q.headers['x-fleet-token'] === 'ct-1')?.headers.authorization).toBe('Fixed abc');
  });

  it('limits batches by count, flushes an idle subscription on time, mixes vehicles for DTC and sends events one by one', async () => {
    const gpsHook = await receiver();
    const dtcHook = await receiver();
    const eventHook = await receiver();
    await h.subscribe({ url: gpsHook.url, accountId: 'acc_batch', batching: { maxItems: 4, maxWaitMs: 1_500 } });
    await h.subscribe({ url: dtcHook.url, accountId: 'acc_batch', source: { kind: 'dtc' }, batching: { maxItems: 100, maxWaitMs: 800 } });
    await h.subscribe({ url: eventHook.url, accountId: 'acc_batch', source: { kind: 'event', eventTypes: [{ type: 'ignition_on' }, { type: 'speeding', threshold: 100, units: 'kmh' }] }, batching: { maxItems: 1, maxWaitMs: 0 } });
    const dtc = (vehicleId: string, seq: number): Dtc => ({ vehicleId, accountId: 'acc_batch', time: Date.now(), code: `P030${seq}`, source: 'OBD_II', status: 'active', seq });
    const ev = (type: VehicleEvent['type'], seq: number, speedKmh?: number): VehicleEvent => ({ vehicleId: 'veh_e', accountId: 'acc_batch', time: Date.now(), type, seq, speedKmh: speedKmh ?? null, speedLimitKmh: type === 'speeding' ? 80 : null });
    const publishedAt = Date.now();
    await h.publish({
      gps: [1, 2, 3, 4, 5, 6].map((s) => gpsPoint('veh_g', s, 'acc_batch')),
      dtc: [dtc('veh_1', 1), dtc('veh_2', 2), dtc('veh_3', 3)],
      events: [ev('ignition_on', 1), ev('speeding', 2, 99), { ...ev('speeding', 3, 120), simulated: true }, ev('heartbeat', 4)],
    });
    const gps = await gpsHook.waitForRequests(2, 30_000);
    expect(gps.map((q) => bodyOf(q).data.map((d) => d.seq))).toEqual([[1, 2, 3, 4], [5, 6]]);
    // The remainder waited for the window with nothing else arriving (the idle flush): at
    // least the window less the stream's deadline spread (up to 20 % early, by a hash of the
    // stream key — here a random subscription id), with 100 ms for clock granularity.
    expect((gps[1]?.receivedAt ?? 0) - publishedAt).toBeGreaterThanOrEqual(1_500 * 0.8 - 100);
    // Its head says so: the batch opened with item 5 and was sent when the window ended.
    const idle = bodyOf(gps[1] as RecordedRequest);
    expect(Date.parse(idle.requestTime) - Date.parse(idle.enqueueTime)).toBeGreaterThanOrEqual(1_500 * 0.8 - 100);
    expect(gps.map((q) => bodyOf(q).eventName)).toEqual(['gps', 'gps']);
    const [dtcReq] = await dtcHook.waitForRequests(1, 30_000);
    // Vehicles sit on different telemetry partitions, so only membership is defined across them.
    expect(bodyOf(dtcReq as RecordedRequest).data.map((d) => d.vehicleId).sort()).toEqual(['veh_1', 'veh_2', 'veh_3']);
    expect(bodyOf(dtcReq as RecordedRequest)).toMatchObject({ type: 'dtc', eventName: 'dtc' });
    const events = await eventHook.waitForRequests(2, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(eventHook.requests.map((q) => bodyOf(q).data.map((d) => d.seq))).toEqual([[1], [3]]);
    expect(events.every((q) => bodyOf(q).type === 'event' && bodyOf(q).eventName === 'eventBased')).toBe(true);
    // A record marked simulated (the simulator marks its own) makes a request of its items `simulated`, and says so itself.
    expect(events.map((q) => bodyOf(q).mode)).toEqual(['live', 'simulated']);
    expect(events.map((q) => (bodyOf(q).data[0] as { simulated?: boolean }).simulated)).toEqual([undefined, true]);
  });

  it('sends a poison record to the dead-letter topic with the reason, and keeps delivering the rest', async () => {
    const r = await receiver();
    await h.subscribe({ url: r.url, accountId: 'acc_poison', batching: { maxItems: 500, maxWaitMs: 100 } });
    await h.publish({ gps: [gpsPoint('veh_p', 1, 'acc_poison')] });
    await h.publishRaw('telemetry.gps', 'veh_p', Buffer.from('not avro at all'));
    await h.publishRaw('telemetry.gps', 'veh_p', Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 1, 2]));
    await h.publish({ gps: [gpsPoint('veh_p', 2, 'acc_poison'), gpsPoint('veh_p', 3, 'acc_poison')] });
    await waitFor(() => r.requests.flatMap((q) => bodyOf(q).data).length >= 3, { timeoutMs: 30_000, what: 'items after the poison records' });
    expect(r.requests.flatMap((q) => bodyOf(q).data.map((d) => d.seq))).toEqual([1, 2, 3]);
    const dead = await readTopic(h, 'telemetry.deadletter', 2);
    expect(dead.map((m) => m.value)).toEqual(['not avro at all', Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 1, 2]).toString('utf8')]);
    expect(dead[0]?.headers['fleethook-deadletter-reason']).toMatch(/magic byte/);
    expect(dead[1]?.headers['fleethook-deadletter-reason']).toMatch(/schema id \d+ is not in the registry/);
    expect(dead[0]?.headers['fleethook-origin-topic']).toBe(h.topics.get('telemetry.gps').name);
  });
});

async function readTopic(h: DispatcherHarness, topicId: string, count: number): Promise<{ value: string; headers: Record<string, string> }[]> {
  const consumer = h.kafka.consumer({ groupId: `${h.prefix}reader-${Math.random()}` });
  const out: { value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: h.topics.get(topicId).name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ value: message.value?.toString('utf8') ?? '', headers });
    },
  });
  try {
    await waitFor(() => out.length >= count, { timeoutMs: 20_000, what: `${count} records on ${topicId}` });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Standard Webhooks, from the spec: v1,base64(HMAC-SHA256(base64-decoded secret, "id.timestamp.body")). */
function specSignatureValid(secret: string, headers: Readonly<Record<string, string>>, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64');
  return (headers['webhook-signature'] ?? '').split(' ').includes(`v1,${expected}`);
}
