import type { Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/scheduler/config.js';
import { startSchedulerApp } from '../../services/scheduler/scheduler-app.js';
import type { SchedulerApp } from '../../services/scheduler/scheduler-app.js';
import { deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import type { DispatcherApp } from '../../services/dispatcher/dispatcher-app.js';
import { reliableProducerConfig, kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { firstSlot, scheduledWebhookId } from '../../services/shared/schedule/cadence-slots.js';
import type { Cadence, Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { encodeVehicleSnapshot } from '../../services/shared/vehicles/vehicle-snapshot-codec.js';
import type { VehicleSnapshot } from '../../services/shared/vehicles/vehicle-snapshot.js';
import { DispatcherHarness } from '../helpers/dispatcher-harness.js';
import { failureEvents } from '../helpers/parking-checks.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

// Issue 13, "an endpoint down for more than 15 minutes", compressed 180×: the scheduler's time
// scale 180 and the dispatcher's retry scale 1/180, so a schedule quarter hour (:00/:15/:30/:45)
// is every 5 s of the clock for both, 2 minutes are 0.67 s and the policy's hour is 20 s.
// Two scheduled subscriptions with a 15-minute cadence and the default policy disable-10m:
// one endpoint is down for 20 (scaled) minutes after the first slot, the other stays down.
const scale = 180;
const quarterMs = 15 * 60_000;
const cadence: Cadence = { every: 'minutes', minutes: 15 };
let h: DispatcherHarness;
let dispatcher: DispatcherApp;
let receiver: WebhookReceiver;
let producer: Producer;
let scheduler: SchedulerApp | undefined;
let redis: Redis;
/** Schedule time at which the first endpoint comes back. */
let upAtMs = Number.POSITIVE_INFINITY;
const delivered: RecordedRequest[] = [];
const schedule = (wallMs: number): number => wallMs * scale;

const snapshot = (vehicleId: string): VehicleSnapshot => {
  const t = Date.now() - 5_000;
  return {
    version: 1, vehicleId, accountId: 'acc_late', mode: 'live', time: t, gps: { time: t, lat: 48.1, lon: 11.6, speedKmh: 30, headingDeg: 180, odometerKm: 500, ignition: true },
    activeDtcs: [], lastEventTimes: {}, applied: { partition: 0, gps: '1', dtc: null, events: null },
  };
};

const requestsTo = (path: string): RecordedRequest[] => receiver.requests.filter((r) => r.path.endsWith(path));
const idOf = (r: RecordedRequest): string => r.headers['webhook-id'] ?? '';

beforeAll(async () => {
  h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(1 / scale) });
  receiver = await WebhookReceiver.start(behaviours.custom((req) => {
    if (req.path.endsWith('/down') || schedule(req.receivedAt) < upAtMs) return { status: 503 };
    delivered.push(req);
    return { status: 200 };
  }));
  producer = h.kafka.producer(reliableProducerConfig);
  await producer.connect();
  await producer.send({ topic: h.topics.get('vehicle.state').name, acks: -1, messages: ['veh_1', 'veh_2'].map((v) => ({ key: v, value: encodeVehicleSnapshot(snapshot(v)) })) });
  redis = new Redis(stackEnv.redisUrl);
  dispatcher = await h.startInProcess();
}, 120_000);

afterAll(async () => {
  await scheduler?.close();
  redis?.disconnect();
  await producer?.disconnect();
  await receiver?.close();
  await h?.close();
}, 60_000);

describe('scheduler: an endpoint down for more than 15 minutes (compressed)', () => {
  it('back after 20 minutes: the slot arrives on a later quarter hour, same webhook-id, then the later slots in order; never back: disabled after the hour, one webhook-id ever sent', async () => {
    const spec = (path: string): Partial<Subscription> & { url: string } => ({
      url: `${receiver.url}${path}`, accountId: 'acc_late', source: { kind: 'scheduled', cadence, fields: ['speed'] }, retryPolicy: 'disable-10m', createdAt: new Date().toISOString(),
    });
    const late = await h.subscribe(spec('/late'));
    const down = await h.subscribe(spec('/down'));
    const t1 = firstSlot(cadence, schedule(Date.parse(late.createdAt)));
    expect(firstSlot(cadence, schedule(Date.parse(down.createdAt)))).toBe(t1);
    upAtMs = t1 + 20 * 60_000;
    const logger = createLogger('scheduler', { level: 'warn', write: () => undefined });
    scheduler = await startSchedulerApp({
      config: loadConfig({ ...h.env, FLEETHOOK_SCHEDULER_GROUP_ID: uniqueName('scheduler'), FLEETHOOK_SCHEDULER_PORT: '0', FLEETHOOK_SCHEDULER_HOST: '127.0.0.1', FLEETHOOK_SCHEDULER_TIME_SCALE: String(scale), FLEETHOOK_SCHEDULER_TICK_MS: '100' }),
      kafka: kafkaClientOf(h.kafka), logger,
    });
    const idsOf = (sub: Subscription, n: number): string[] => Array.from({ length: n }, (_, k) => scheduledWebhookId(sub.id, t1 + k * quarterMs, 0));

    // (a) The first slot: 1 + 3 quick retries and 5 tier retries within 10 minutes, then the quarter hours: t1+15 (still down), t1+30 (up).
    const lateIds = idsOf(late, 4);
    await waitFor(() => delivered.filter((r) => r.path.endsWith('/late')).length >= 3, { timeoutMs: 40_000, what: 'three slots of the late endpoint' });
    const ok = delivered.filter((r) => r.path.endsWith('/late'));
    expect(ok.map(idOf)).toEqual(lateIds.slice(0, ok.length));
    const first = ok[0]!;
    const arrivedAt = schedule(first.receivedAt);
    expect(arrivedAt).toBeGreaterThanOrEqual(t1 + 2 * quarterMs);
    // On a quarter hour (the attempt is due at it; a third of a quarter allows for a loaded machine).
    expect(arrivedAt % quarterMs).toBeLessThan(quarterMs / 3);
    const attempts = requestsTo('/late').filter((r) => idOf(r) === lateIds[0]);
    // The first attempt, 3 quick retries and tier retries within the policy's 10 minutes (5, fewer when a loaded machine
    // makes them late: each waits 2 minutes from the last failure); then the quarter hour t1+15 failed and t1+30 delivered.
    const timeline = attempts.map((r) => ((schedule(r.receivedAt) - t1) / 60_000).toFixed(1)).join(' ');
    expect(attempts.filter((r) => schedule(r.receivedAt) < t1 + 11 * 60_000).length, timeline).toBeGreaterThanOrEqual(1 + 3 + 2);
    expect(attempts.filter((r) => schedule(r.receivedAt) >= t1 + quarterMs).map((r) => Math.floor(schedule(r.receivedAt) / quarterMs) * quarterMs - t1), timeline).toEqual([quarterMs, 2 * quarterMs]);
    if (process.env.DEBUG_SCHEDULER_LEVEL !== undefined) console.log(`first slot attempts (scaled minutes after t1): ${timeline}`);
    expect((JSON.parse(first.text) as { retryCount: number }).retryCount).toBe(attempts.length - 1);
    // Nothing of a later slot was sent before the first one was delivered.
    expect(requestsTo('/late').filter((r) => r.receivedAt < first.receivedAt).every((r) => idOf(r) === lateIds[0])).toBe(true);

    // (b) Never back: after the quarter hours of its first hour the subscription is disabled (the status shows it), its data audited.
    await waitFor(() => dispatcher.catalogue.get(down.id)?.state === 'deactivated', { timeoutMs: 40_000, what: 'the down subscription to be disabled' });
    const sent = requestsTo('/down');
    expect(new Set(sent.map(idOf))).toEqual(new Set([idOf(sent[0]!)]));
    expect(idOf(sent[0]!)).toBe(idsOf(down, 1)[0]);
    const quarters = sent.map((r) => schedule(r.receivedAt)).filter((at) => at >= t1 + quarterMs - 60_000);
    expect(quarters.length).toBeGreaterThanOrEqual(3);
    expect(schedule(sent.at(-1)!.receivedAt)).toBeGreaterThanOrEqual(t1 + 4 * quarterMs);
    const status = await redis.hgetall(deliveryStatusKey(h.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '', down.id));
    expect(status).toMatchObject({ lastError: expect.stringContaining('503') });
    const events = (await failureEvents(h, down.id)).map((e) => e.kind);
    expect(events[0]).toBe('parked');
    expect(events.at(-1)).toBe('deactivated');
    const audited = (await readTopic(h.kafka, h.topics.get('webhook.audit').name)).filter((r) => r.key === down.id);
    expect(audited.length).toBeGreaterThanOrEqual(1);
    // The late subscription is still active and got every slot once.
    expect(dispatcher.catalogue.get(late.id)?.state).toBe('active');
    const okIds = delivered.filter((r) => r.path.endsWith('/late')).map(idOf);
    expect(new Set(okIds).size).toBe(okIds.length);
  }, 90_000);
});
