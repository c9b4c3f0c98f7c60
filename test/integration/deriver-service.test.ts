import { type ChildProcess, spawn } from 'node:child_process';
import kafkajs from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { topicCatalogue, valueSubject } from '../../schemas/topics.js';
import { deriveBatch } from '../../services/deriver/derive-batch.js';
import { defaultTimings, noLandmarks, noRules } from '../../services/deriver/rules/derive-params.js';
import type { SourcePoint } from '../../services/deriver/rules/step-vehicle.js';
import { loadAvroSchema } from '../../services/shared/avro-schema-files.js';
import { adminOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { encodeLandmarkRecord } from '../../services/shared/landmarks/landmark-record-codec.js';
import { newLandmarkId } from '../../services/shared/landmarks/landmark-types.js';
import type { AvroEncoder } from '../../services/shared/schema-registry-client.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { applyTopicCatalogue } from '../../services/topics/apply-topic-catalogue.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';

const prefix = `${uniqueName('deriver')}.`;
const groupId = uniqueName('deriver-group');
const accountId = 'acc_deriver';
const topics = topicCatalogue({ prefix, partitions: { telemetry: 2, registry: 1, webhook: 1, deadletter: 1 } });
const gpsTopic = topics.get('telemetry.gps').name;
const eventsTopic = topics.get('telemetry.events').name;
const day = Date.UTC(2026, 0, 5, 8, 0, 0);

const registry = new SchemaRegistryClient({ url: stackEnv.registryUrl });
const kafka = new kafkajs.Kafka({ brokers: stackEnv.kafkaBrokers, clientId: 'deriver-test', logLevel: kafkajs.logLevel.NOTHING });
let producer: Producer;
let reader: Consumer;
let gpsEncoder: AvroEncoder<GpsPoint>;
/** Every derived event read from telemetry.events, in order of arrival. */
const seen: VehicleEvent[] = [];

interface Deriver {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}
let deriver: Deriver;

function startDeriver(): Deriver {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/deriver/main.ts'], {
    env: {
      ...process.env, FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','), FLEETHOOK_SCHEMA_REGISTRY_URL: stackEnv.registryUrl,
      FLEETHOOK_TOPIC_PREFIX: prefix, FLEETHOOK_DERIVER_GROUP_ID: groupId, FLEETHOOK_DERIVER_PORT: '0', FLEETHOOK_DERIVER_SESSION_TIMEOUT_MS: '6000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => void lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function ready(d: Deriver): Promise<void> {
  await waitFor(() => d.lines.some((l) => l.startsWith('{"msg":"deriver ready"')), { timeoutMs: 60_000, intervalMs: 100, what: `deriver ready (${d.lines.slice(-5).join(' | ')})` });
}

/** A point of `vehicleId` at minute `minute` of the test day. */
function point(vehicleId: string, minute: number, p: { speedKmh: number; ignition: boolean; odometerKm: number; lat?: number; lon?: number }): GpsPoint {
  return { vehicleId, accountId, time: day + minute * 60_000, lat: p.lat ?? 52.5, lon: p.lon ?? 13.4, speedKmh: p.speedKmh, headingDeg: 90, odometerKm: p.odometerKm, ignition: p.ignition, postedSpeedLimitKmh: null, driverId: null, seq: null };
}

/** Publishes points in order; returns each one with where it landed. */
async function publish(points: readonly GpsPoint[]): Promise<SourcePoint[]> {
  const out: SourcePoint[] = [];
  for (const p of points) {
    const [m] = await producer.send({ topic: gpsTopic, acks: -1, messages: [{ key: p.vehicleId, value: gpsEncoder.encode(p) }] });
    out.push({ point: p, position: { partition: m!.partition, offset: m!.baseOffset! } });
  }
  return out;
}

function eventsOf(vehicleId: string): VehicleEvent[] {
  return seen.filter((e) => e.vehicleId === vehicleId);
}

/** A trip: ignition on, driving 0.5 km a minute, stop, ignition off. */
function trip(vehicleId: string, startMinute: number, odometerKm: number, drivingMinutes: number): GpsPoint[] {
  const points = [point(vehicleId, startMinute, { speedKmh: 0, ignition: false, odometerKm }), point(vehicleId, startMinute + 1, { speedKmh: 0, ignition: true, odometerKm })];
  for (let i = 1; i <= drivingMinutes; i++) points.push(point(vehicleId, startMinute + 1 + i, { speedKmh: 30, ignition: true, odometerKm: odometerKm + 0.5 * i, lon: 13.4 + 0.01 * i }));
  points.push(point(vehicleId, startMinute + 2 + drivingMinutes, { speedKmh: 0, ignition: false, odometerKm: odometerKm + 0.5 * drivingMinutes, lon: 13.4 + 0.01 * drivingMinutes }));
  return points;
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await waitFor(() => applyTopicCatalogue(adminOf(admin), topics, 1).then(() => true), { timeoutMs: 30_000, intervalMs: 500, what: 'test topics' });
  // A fresh topic's leader can take a moment to appear in metadata.
  await waitFor(async () => {
    for (const t of topics.topics) await admin.fetchTopicOffsets(t.name);
    return true;
  }, { timeoutMs: 30_000, intervalMs: 300, what: 'leaders of the test topics' });
  await admin.disconnect();
  const gps = topics.get('telemetry.gps').value;
  if (gps.format !== 'avro') throw new Error('telemetry.gps is not Avro');
  gpsEncoder = await registry.encoderFor<GpsPoint>(valueSubject(gpsTopic), loadAvroSchema(gps.schemaFile), { autoRegister: true });
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  reader = kafka.consumer({ groupId: uniqueName('deriver-test-reader'), maxWaitTimeInMs: 200 });
  await reader.connect();
  await reader.subscribe({ topic: eventsTopic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      seen.push((await registry.registry.decode(message.value)) as VehicleEvent);
    },
  });
  deriver = startDeriver();
  await ready(deriver);
}, 120_000);

afterAll(async () => {
  deriver?.child.kill('SIGTERM');
  await deriver?.exited;
  await reader?.disconnect();
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topics.topics.map((t) => t.name) }).catch(() => undefined);
  await admin.disconnect();
});

describe('deriver service on the real stack', () => {
  it('a deterministic track gives exactly the expected derived events, and malformed GPS records do not stop it', async () => {
    const vehicleId = uniqueName('veh-track');
    // Bad input first, on the vehicle's partition: bytes that are not Avro, and an Avro point with a latitude of 999.
    await producer.send({ topic: gpsTopic, acks: -1, messages: [{ key: vehicleId, value: Buffer.from('not avro at all') }, { key: vehicleId, value: gpsEncoder.encode(point(vehicleId, 0, { speedKmh: 0, ignition: false, odometerKm: 1, lat: 999 })) }] });
    const sources = await publish(trip(vehicleId, 0, 1_000, 6));
    const expected = deriveBatch(new Map(), sources, () => ({ rules: noRules, landmarks: noLandmarks, timings: defaultTimings })).events;
    expect(expected.map((e) => e.type)).toEqual(['heartbeat', 'ignition_on', 'idle', 'ignition_off', 'trip_complete']);
    await waitFor(() => eventsOf(vehicleId).length >= expected.length, { timeoutMs: 30_000, intervalMs: 100, what: 'derived events' });
    const got = eventsOf(vehicleId);
    expect(got).toEqual(expected.map((e) => expect.objectContaining({ ...e })));
    expect(got.every((e) => e.origin === 'derived')).toBe(true);
    expect(got.find((e) => e.type === 'trip_complete')?.tripDistanceKm).toBeCloseTo(3, 6);
    expect(deriver.child.exitCode).toBeNull();
  }, 60_000);

  it('after a SIGKILL mid-trip, the restarted deriver completes the trip with the right distance, no event missing or repeated', async () => {
    const vehicleId = uniqueName('veh-kill');
    const points = trip(vehicleId, 100, 5_000, 10);
    const first = await publish(points.slice(0, 6));
    await waitFor(() => eventsOf(vehicleId).some((e) => e.type === 'ignition_on'), { timeoutMs: 30_000, intervalMs: 100, what: 'the first half of the trip derived' });
    deriver.child.kill('SIGKILL');
    await deriver.exited;
    const rest = await publish(points.slice(6));
    deriver = startDeriver();
    await ready(deriver);
    const expected = deriveBatch(new Map(), [...first, ...rest], () => ({ rules: noRules, landmarks: noLandmarks, timings: defaultTimings })).events;
    await waitFor(() => eventsOf(vehicleId).some((e) => e.type === 'trip_complete'), { timeoutMs: 60_000, intervalMs: 100, what: 'trip_complete after the restart' });
    // Let anything repeated arrive: a marker point of another vehicle on each partition is derived after it.
    const marks = await publish([0, 1, 2, 3].map((i) => point(uniqueName(`veh-mark${i}`), 200, { speedKmh: 0, ignition: false, odometerKm: 1 })));
    await waitFor(() => marks.every((m) => eventsOf(m.point.vehicleId).length > 0), { timeoutMs: 30_000, intervalMs: 100, what: 'marker heartbeats' });
    const got = eventsOf(vehicleId);
    expect(new Set(got.map((e) => e.eventId)).size).toBe(got.length);
    expect(got).toEqual(expected.map((e) => expect.objectContaining({ ...e })));
    expect(got.find((e) => e.type === 'trip_complete')?.tripDistanceKm).toBeCloseTo(5, 6);
  }, 120_000);

  it('a second instance joining and then leaving moves partitions and their states: trips across both rebalances complete exactly once', async () => {
    const vehicles = [0, 1, 2, 3].map((i) => uniqueName(`veh-rebalance${i}`));
    const trips = vehicles.map((v, i) => trip(v, 400 + i, 7_000, 9));
    const sources: SourcePoint[] = [];
    const publishPart = async (from: number, to: number): Promise<void> => {
      for (const t of trips) sources.push(...(await publish(t.slice(from, to))));
    };
    await publishPart(0, 4);
    await waitFor(() => vehicles.every((v) => eventsOf(v).some((e) => e.type === 'ignition_on')), { timeoutMs: 30_000, intervalMs: 100, what: 'trips started' });
    const second = startDeriver();
    await ready(second);
    // Each member restores the partitions of the new generation before reading on.
    await waitFor(() => second.lines.some((l) => l.includes('"vehicle states restored"')), { timeoutMs: 60_000, intervalMs: 100, what: 'the second instance restored a partition' });
    await publishPart(4, 8);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await publishPart(8, 12);
    await waitFor(() => vehicles.every((v) => eventsOf(v).some((e) => e.type === 'trip_complete')), { timeoutMs: 60_000, intervalMs: 100, what: 'every trip complete' });
    const marks = await publish([0, 1, 2, 3].map((i) => point(uniqueName(`veh-mark-r${i}`), 500, { speedKmh: 0, ignition: false, odometerKm: 1 })));
    await waitFor(() => marks.every((m) => eventsOf(m.point.vehicleId).length > 0), { timeoutMs: 30_000, intervalMs: 100, what: 'marker heartbeats' });
    for (const v of vehicles) {
      const expected = deriveBatch(new Map(), sources.filter((s) => s.point.vehicleId === v), () => ({ rules: noRules, landmarks: noLandmarks, timings: defaultTimings })).events;
      const got = eventsOf(v);
      expect(new Set(got.map((e) => e.eventId)).size, v).toBe(got.length);
      expect(got, v).toEqual(expected.map((e) => expect.objectContaining({ ...e })));
      expect(got.find((e) => e.type === 'trip_complete')?.tripDistanceKm, v).toBeCloseTo(4.5, 6);
    }
  }, 180_000);

  it('a landmark added while the deriver runs takes effect', async () => {
    const vehicleId = uniqueName('veh-landmark');
    const inside = { lat: 48.1, lon: 11.5 };
    const outside = { lat: 48.2, lon: 11.5 };
    let minute = 300;
    const step = (at: { lat: number; lon: number }): GpsPoint => point(vehicleId, minute++, { speedKmh: 0, ignition: false, odometerKm: 10, ...at });
    await publish([step(inside), step(outside)]);
    await waitFor(() => eventsOf(vehicleId).some((e) => e.type === 'heartbeat'), { timeoutMs: 30_000, intervalMs: 100, what: 'heartbeat' });
    const now = new Date().toISOString();
    const id = newLandmarkId();
    await producer.send({
      topic: topics.get('fleet.landmarks').name, acks: -1,
      messages: [{ key: id, value: encodeLandmarkRecord({ id, accountId, name: 'Depot', shape: { type: 'circle', center: inside, radiusM: 500 }, createdAt: now, updatedAt: now, revision: 1 }) }],
    });
    // The deriver reads the landmark topic on its own: go in and out until an entry is seen.
    await waitFor(async () => {
      await publish([step(inside), step(outside)]);
      return eventsOf(vehicleId).some((e) => e.type === 'landmark_enter');
    }, { timeoutMs: 30_000, intervalMs: 300, what: 'landmark_enter' });
    const enter = eventsOf(vehicleId).find((e) => e.type === 'landmark_enter');
    expect(enter).toMatchObject({ landmarkId: id, landmarkName: 'Depot', origin: 'derived', lat: inside.lat });
    await waitFor(() => eventsOf(vehicleId).some((e) => e.type === 'landmark_leave'), { timeoutMs: 30_000, intervalMs: 100, what: 'landmark_leave' });
  }, 60_000);
});
