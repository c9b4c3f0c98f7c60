import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpsPoint } from '../../schemas/telemetry-records.js';
import { loadConfig } from '../../services/deriver/config.js';
import { deriveBatch } from '../../services/deriver/derive-batch.js';
import { startDeriverApp } from '../../services/deriver/deriver-app.js';
import type { DeriverApp } from '../../services/deriver/deriver-app.js';
import { defaultTimings, noLandmarks, noRules } from '../../services/deriver/rules/derive-params.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { encodeLandmarkRecord } from '../../services/shared/landmarks/landmark-record-codec.js';
import { newLandmarkId } from '../../services/shared/landmarks/landmark-types.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import type { EventSelection } from '../../services/shared/subscriptions/subscription-types.js';
import { endpointData } from '../../services/shared/webhook/webhook-body.js';
import { DispatcherHarness, partitionOf } from '../helpers/dispatcher-harness.js';
import { stackEnv } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { readTopic } from '../helpers/topic-reader.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const accountId = 'acc_derived';
let h: DispatcherHarness;
let deriver: DeriverApp;
let hook: WebhookReceiver;

/** The subscription-parameters test: its own account, landmarks and receiver, in place before the deriver starts. */
const params = {
  accountId: 'acc_derived_params',
  landmarkA: { id: newLandmarkId(), center: { lat: 52.45, lon: 13.4 } },
  landmarkB: { id: newLandmarkId(), center: { lat: 52.48, lon: 13.46 } },
  subs: { kmh: '', mph: '', sentinel: '' },
};
let paramsHook: WebhookReceiver;

async function setUpParams(): Promise<void> {
  paramsHook = await WebhookReceiver.start();
  const now = new Date().toISOString();
  for (const [name, l] of [['A', params.landmarkA], ['B', params.landmarkB]] as const) {
    await h.publishRaw('fleet.landmarks', l.id, encodeLandmarkRecord({
      id: l.id, accountId: params.accountId, name: `Landmark ${name}`, shape: { type: 'circle', center: l.center, radiusM: 300 }, createdAt: now, updatedAt: now, revision: 1,
    }));
  }
  const subscribe = async (eventTypes: EventSelection[]): Promise<string> =>
    (await h.subscribe({ url: paramsHook.url, accountId: params.accountId, source: { kind: 'event', eventTypes }, batching: { maxItems: 1, maxWaitMs: 0 } })).id;
  params.subs.kmh = await subscribe([{ type: 'speeding', threshold: 100, units: 'kmh' }, { type: 'idle', minutes: 2 }, { type: 'landmark_enter', landmarkIds: [params.landmarkA.id] }]);
  params.subs.mph = await subscribe([{ type: 'speeding', threshold: 55, units: 'mph' }, { type: 'idle', minutes: 10 }, { type: 'landmark_change' }]);
  // Selects the event of the track's last point: once it arrives, the dispatcher has routed all the others.
  params.subs.sentinel = await subscribe([{ type: 'ignition_off' }]);
}

beforeAll(async () => {
  h = await DispatcherHarness.create();
  await h.startInProcess();
  hook = await WebhookReceiver.start();
  // The deriver reads subscriptions and landmarks to their end when it starts, so the track meets them all.
  await setUpParams();
  const logger = createLogger('deriver', { level: 'warn', write: (l) => h.logLines.push(l) });
  const config = loadConfig({ ...h.env, FLEETHOOK_DERIVER_GROUP_ID: `${h.prefix}deriver`, FLEETHOOK_DERIVER_PORT: '0', FLEETHOOK_DERIVER_HOST: '127.0.0.1' });
  deriver = await startDeriverApp({ config, kafka: kafkaClientOf(h.kafka), registry: new SchemaRegistryClient({ url: stackEnv.registryUrl }), logger });
}, 120_000);

afterAll(async () => {
  await deriver?.close();
  await hook?.close();
  await paramsHook?.close();
  await h?.close();
});

describe('derived events reach a receiver through the dispatcher', () => {
  it('a trip on telemetry.gps arrives at an event subscription as exactly its derived ignition and trip events', async () => {
    await h.subscribe({ url: hook.url, accountId, source: { kind: 'event', eventTypes: [{ type: 'ignition_on' }, { type: 'ignition_off' }, { type: 'trip_complete' }] }, batching: { maxItems: 1, maxWaitMs: 0 } });
    const vehicleId = 'veh_derived_1';
    const t0 = Date.now() - 20 * 60_000;
    const at = (minute: number, p: Partial<GpsPoint>): GpsPoint => ({ vehicleId, accountId, time: t0 + minute * 60_000, lat: 52.5, lon: 13.4, speedKmh: 0, headingDeg: 90, odometerKm: 200, ignition: false, ...p });
    const track = [at(0, {}), at(1, { ignition: true }), ...[1, 2, 3, 4].map((i) => at(1 + i, { ignition: true, speedKmh: 45, odometerKm: 200 + 0.75 * i, lon: 13.4 + 0.01 * i })), at(6, { odometerKm: 203, lon: 13.44 })];
    await h.publish({ gps: track });
    // Where the points landed: the vehicle's partition, in order (nothing else is on this test's topics).
    const partition = partitionOf(vehicleId, h.topics.get('telemetry.gps').partitions);
    const offsets = (await readTopic(h.kafka, h.topics.get('telemetry.gps').name)).filter((r) => r.partition === partition).map((r) => r.offset);
    expect(offsets).toHaveLength(track.length);
    const sources = track.map((point, i) => ({ point, position: { partition, offset: offsets[i]! } }));
    const expected = deriveBatch(new Map(), sources, () => ({ rules: noRules, landmarks: noLandmarks, timings: defaultTimings })).events
      .filter((e) => ['ignition_on', 'ignition_off', 'trip_complete'].includes(e.type));
    expect(expected.map((e) => e.type)).toEqual(['ignition_on', 'ignition_off', 'trip_complete']);
    const requests = await hook.waitForRequests(3, 60_000);
    const data = requests.flatMap((q) => (JSON.parse(q.text) as { data: Record<string, unknown>[] }).data);
    expect(data).toEqual(expected.map((e) => endpointData(e)));
    expect(data[2]).toMatchObject({ type: 'trip_complete', origin: 'derived', tripDistanceKm: 3 });
  }, 90_000);

  it('subscription parameters pick exactly their derived events: 100 km/h vs 55 mph, idle 2 vs 10 min, landmark A vs all landmarks', async () => {
    const vehicleId = 'veh_derived_params';
    const t0 = Date.now() - 30 * 60_000;
    let odometerKm = 500;
    const at = (minute: number, place: { lat: number; lon: number }, speedKmh: number, ignition = true): GpsPoint => {
      odometerKm += speedKmh / 120;
      return { vehicleId, accountId: params.accountId, time: t0 + minute * 60_000, ...place, speedKmh, headingDeg: 45, odometerKm, ignition };
    };
    const { landmarkA: a, landmarkB: b } = params;
    const track = [
      at(0, { lat: 52.4, lon: 13.4 }, 0, false),
      at(1, { lat: 52.4, lon: 13.4 }, 0), // ignition on: idle from here
      at(4, { lat: 52.41, lon: 13.4 }, 50), // idle of 3 min ends
      at(5, a.center, 40), // enter A
      at(6, { lat: 52.46, lon: 13.42 }, 95), // leave A; 95 km/h = 59 mph: 55 mph starts
      at(6.5, { lat: 52.47, lon: 13.44 }, 105), // 100 km/h starts
      at(7, b.center, 60), // enter B; under both
      at(7.5, b.center, 10), // both episodes end (30 s under)
      at(8, b.center, 0), // idle from here
      at(14, b.center, 0),
      at(19.5, { lat: 52.49, lon: 13.48 }, 30), // idle of 11.5 min ends; leave B
      at(20, { lat: 52.49, lon: 13.48 }, 0, false), // ignition off
    ];
    await h.publish({ gps: track });

    const received = (subscriptionId: string): Record<string, unknown>[] => paramsHook.requests
      .map((q) => JSON.parse(q.text) as { subscriptionId: string; data: Record<string, unknown>[] })
      .filter((body) => body.subscriptionId === subscriptionId)
      .flatMap((body) => body.data.map((e) => ({ type: e.type, landmarkId: e.landmarkId, durationMs: e.durationMs, speedThreshold: e.speedThreshold, speedUnits: e.speedUnits })));
    const expected = {
      kmh: [
        { type: 'idle', durationMs: 180_000 },
        { type: 'landmark_enter', landmarkId: a.id },
        { type: 'speeding', speedThreshold: 100, speedUnits: 'kmh' },
        { type: 'idle', durationMs: 690_000 },
      ],
      mph: [
        { type: 'landmark_enter', landmarkId: a.id },
        { type: 'landmark_leave', landmarkId: a.id },
        { type: 'speeding', speedThreshold: 55, speedUnits: 'mph' },
        { type: 'landmark_enter', landmarkId: b.id },
        { type: 'landmark_leave', landmarkId: b.id },
        { type: 'idle', durationMs: 690_000 },
      ],
    };
    const full = (e: Record<string, unknown>): Record<string, unknown> => ({ landmarkId: undefined, durationMs: undefined, speedThreshold: undefined, speedUnits: undefined, ...e });
    await waitFor(() => received(params.subs.sentinel).length === 1 && received(params.subs.kmh).length >= 4 && received(params.subs.mph).length >= 6, {
      timeoutMs: 60_000, what: 'the derived events at the receiver',
    });
    expect(received(params.subs.kmh)).toEqual(expected.kmh.map(full));
    expect(received(params.subs.mph)).toEqual(expected.mph.map(full));
  }, 90_000);
});
