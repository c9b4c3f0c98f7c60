import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/scheduler/config.js';
import { startSchedulerApp } from '../../services/scheduler/scheduler-app.js';
import type { SchedulerApp } from '../../services/scheduler/scheduler-app.js';
import { reliableProducerConfig, kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { boundaryAtOrBefore, scheduledWebhookId } from '../../services/shared/schedule/cadence-slots.js';
import type { Cadence, Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { encodeVehicleSnapshot } from '../../services/shared/vehicles/vehicle-snapshot-codec.js';
import type { VehicleSnapshot } from '../../services/shared/vehicles/vehicle-snapshot.js';
import { DispatcherHarness } from '../helpers/dispatcher-harness.js';
import { uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

// A slot larger than 1 MiB (issue 13): 400 vehicles with 64 active DTCs each (≈ 3.8 KiB per item,
// ≈ 1.5 MiB per slot), on the harness's topics (created from the catalogue: the request-carrying
// topics take 3 MiB records). Schedule time runs 10× faster: a 15-minute cadence fires every 90 s,
// and the subscriptions are backdated so that their first slot is the boundary just passed.
const scale = 10;
const cadence: Cadence = { every: 'minutes', minutes: 15 };
const vehicles = 400;
let h: DispatcherHarness;
let receiver: WebhookReceiver;
let producer: Producer;
let scheduler: SchedulerApp | undefined;
const log: string[] = [];
/** Requests answered 2xx, in the order the endpoint answered them. */
const delivered: RecordedRequest[] = [];
let failFirst = 0;

const snapshot = (n: number): VehicleSnapshot => {
  const t = Date.now() - 5_000;
  return {
    version: 1, vehicleId: `veh_${String(n).padStart(4, '0')}`, accountId: 'acc_big', mode: 'live', time: t,
    gps: { time: t, lat: 52.5, lon: 13.4, speedKmh: n % 120, headingDeg: 90, odometerKm: 1_000 + n, ignition: true },
    activeDtcs: Array.from({ length: 64 }, (_, d) => ({ code: `P${String(d).padStart(4, '0')}`, source: 'OBD_II', time: t - d * 1_000, spn: null, fmi: null, description: null })),
    lastEventTimes: {}, applied: { partition: 0, gps: '1', dtc: '1', events: null },
  };
};

const requestsOf = (sub: Subscription): RecordedRequest[] => receiver.requests.filter((r) => r.path.endsWith(sub.contentType === 'application/json' ? '/json' : '/form'));
const dataOf = (r: RecordedRequest): { vehicleId: string }[] => {
  const text = r.headers['content-type']?.startsWith('application/json') ? (JSON.parse(r.text) as { data: unknown }).data : JSON.parse(new URLSearchParams(r.text).get('data') ?? '[]');
  return text as { vehicleId: string }[];
};

beforeAll(async () => {
  h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: '0.001' });
  receiver = await WebhookReceiver.start(behaviours.custom((req) => {
    // Only the JSON subscription fails: its first part's first attempt and 3 quick retries, so it parks.
    if (req.path.endsWith('/json') && failFirst > 0) {
      failFirst--;
      return { status: 503 };
    }
    delivered.push(req);
    return { status: 200 };
  }));
  producer = h.kafka.producer(reliableProducerConfig);
  await producer.connect();
  const states = Array.from({ length: vehicles }, (_, n) => snapshot(n));
  for (let i = 0; i < states.length; i += 50) {
    await producer.send({ topic: h.topics.get('vehicle.state').name, acks: -1, messages: states.slice(i, i + 50).map((s) => ({ key: s.vehicleId, value: encodeVehicleSnapshot(s) })) });
  }
  await h.startInProcess();
}, 120_000);

afterAll(async () => {
  await scheduler?.close();
  await producer?.disconnect();
  await receiver?.close();
  await h?.close();
}, 60_000);

describe('scheduler: a slot larger than the request cap', () => {
  it('arrives as several requests, each within maxRequestBytes (1 MiB by default; JSON and form bodies), in order, every vehicle once; a 1 MiB part parks and is retried through the tiers', async () => {
    // The boundary just passed (schedule time) is each subscription's first slot, due at once
    // while the next boundary has not passed; with less than 10 s (wall) left, the next one is used.
    const untilNextMs = (boundaryAtOrBefore(cadence, Date.now() * scale) + 15 * 60_000) / scale - Date.now();
    if (untilNextMs < 10_000) await new Promise((r) => setTimeout(r, untilNextMs + 50));
    const slotMs = boundaryAtOrBefore(cadence, Date.now() * scale);
    const createdAt = new Date(Math.floor((slotMs - scale) / scale)).toISOString();
    const base = { accountId: 'acc_big', source: { kind: 'scheduled', cadence, fields: ['location', 'speed', 'activeDtcs'] }, retryPolicy: 'standard-7d', createdAt } as const;
    failFirst = 4;
    const json = await h.subscribe({ ...base, url: `${receiver.url}/json` });
    const form = await h.subscribe({
      ...base, url: `${receiver.url}/form`, contentType: 'application/x-www-form-urlencoded', source: { ...base.source, maxRequestBytes: 300_000 },
    });
    const logger = createLogger('scheduler', { level: (process.env.DEBUG_SCHEDULER_LEVEL ?? 'warn') as 'debug' | 'warn', write: (l) => { log.push(l); if (process.env.DEBUG_SCHEDULER_LEVEL !== undefined) console.log(l.slice(0, 400)); } });
    scheduler = await startSchedulerApp({
      config: loadConfig({ ...h.env, FLEETHOOK_SCHEDULER_GROUP_ID: uniqueName('scheduler'), FLEETHOOK_SCHEDULER_PORT: '0', FLEETHOOK_SCHEDULER_HOST: '127.0.0.1', FLEETHOOK_SCHEDULER_TIME_SCALE: String(scale), FLEETHOOK_SCHEDULER_TICK_MS: '100' }),
      kafka: kafkaClientOf(h.kafka), logger,
    });

    const checkSlot = async (sub: Subscription, capBytes: number, minParts: number): Promise<void> => {
      const ids = Array.from({ length: 20 }, (_, part) => scheduledWebhookId(sub.id, slotMs, part));
      const ok = (): RecordedRequest[] => delivered.filter((r) => requestsOf(sub).includes(r) && ids.includes(r.headers['webhook-id'] ?? ''));
      const vehiclesOf = (): string[] => ok().flatMap((r) => dataOf(r).map((d) => d.vehicleId));
      await waitFor(() => new Set(vehiclesOf()).size >= vehicles, { timeoutMs: 60_000, what: `every vehicle of ${sub.id}'s slot` }).catch((err: unknown) => {
        const received = receiver.requests.map((r) => `${r.path} ${r.headers['webhook-id']} ${r.body.length}`).join(', ');
        throw new Error(`${String(err)}; received ${received}; ${[...log.slice(-5), ...h.logLines.slice(-5)].join(' | ')}`);
      });
      const got = ok().map((r) => r.headers['webhook-id']);
      // Parts 0, 1, 2, … each once, in order.
      expect(got.length).toBeGreaterThanOrEqual(minParts);
      expect(got).toEqual(ids.slice(0, got.length));
      // Every vehicle once, by id across the parts; every body within the cap.
      const all = vehiclesOf();
      expect(all).toEqual(Array.from({ length: vehicles }, (_, n) => `veh_${String(n).padStart(4, '0')}`));
      for (const r of requestsOf(sub)) expect(r.body.length).toBeLessThanOrEqual(capBytes);
      const full = requestsOf(sub).filter((r) => r.headers['webhook-id'] === ids[0]);
      expect(full[0]!.body.length).toBeGreaterThan(capBytes * 0.9);
    };
    await checkSlot(json, 1_048_576, 2);
    await checkSlot(form, 300_000, 6);
    // The JSON slot's first part failed 4 times (1 + 3 quick retries), was parked as a ~1.3 MiB ticket and delivered by its tier retry, same webhook-id.
    const first = requestsOf(json).filter((r) => r.headers['webhook-id'] === scheduledWebhookId(json.id, slotMs, 0));
    expect(first).toHaveLength(5);
    expect(JSON.parse(first[4]!.text)).toMatchObject({ retryCount: 4, type: 'scheduled' });
  }, 120_000);
});
