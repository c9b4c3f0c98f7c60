import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpsPoint } from '../../schemas/telemetry-records.js';
import { loadConfig } from '../../services/deriver/config.js';
import { deriveBatch } from '../../services/deriver/derive-batch.js';
import { startDeriverApp } from '../../services/deriver/deriver-app.js';
import type { DeriverApp } from '../../services/deriver/deriver-app.js';
import { defaultTimings, noLandmarks, noRules } from '../../services/deriver/rules/derive-params.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { endpointData } from '../../services/shared/webhook/webhook-body.js';
import { DispatcherHarness, partitionOf } from '../helpers/dispatcher-harness.js';
import { stackEnv } from '../helpers/stack-env.js';
import { readTopic } from '../helpers/topic-reader.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const accountId = 'acc_derived';
let h: DispatcherHarness;
let deriver: DeriverApp;
let hook: WebhookReceiver;

beforeAll(async () => {
  h = await DispatcherHarness.create();
  await h.startInProcess();
  hook = await WebhookReceiver.start();
  const logger = createLogger('deriver', { level: 'warn', write: (l) => h.logLines.push(l) });
  const config = loadConfig({ ...h.env, FLEETHOOK_DERIVER_GROUP_ID: `${h.prefix}deriver`, FLEETHOOK_DERIVER_PORT: '0', FLEETHOOK_DERIVER_HOST: '127.0.0.1' });
  deriver = await startDeriverApp({ config, kafka: kafkaClientOf(h.kafka), registry: new SchemaRegistryClient({ url: stackEnv.registryUrl }), logger });
}, 120_000);

afterAll(async () => {
  await deriver?.close();
  await hook?.close();
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
});
