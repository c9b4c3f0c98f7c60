import { type ChildProcess, spawn } from 'node:child_process';
import kafkajs from 'kafkajs';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { topicCatalogue, valueSubject } from '../../schemas/topics.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadAvroSchema } from '../../services/shared/avro-schema-files.js';
import { adminOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import type { AvroEncoder } from '../../services/shared/schema-registry-client.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { applyTopicCatalogue } from '../../services/topics/apply-topic-catalogue.js';
import { AdminApiHarness, accountKeys, operatorKey } from '../helpers/admin-api-harness.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';

// One stack set-up for the file: the admin API harness's prefix, the rest of the catalogue
// (3 partitions, as the harness makes its topics), a deriver child process, one admin API.
const registry = new SchemaRegistryClient({ url: stackEnv.registryUrl });
const groupId = uniqueName('state-group');
let h: AdminApiHarness;
let app: AdminApp;
let producer: Producer;
let topics: ReturnType<typeof topicCatalogue>;
let encoders: { gps: AvroEncoder<GpsPoint>; dtc: AvroEncoder<Dtc>; events: AvroEncoder<VehicleEvent> };

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
      FLEETHOOK_TOPIC_PREFIX: h.prefix, FLEETHOOK_DERIVER_GROUP_ID: groupId, FLEETHOOK_DERIVER_PORT: '0', FLEETHOOK_DERIVER_SESSION_TIMEOUT_MS: '6000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => void lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, lines, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function ready(d: Deriver): Promise<void> {
  await waitFor(() => d.lines.some((l) => l.startsWith('{"msg":"deriver ready"')), { timeoutMs: 60_000, intervalMs: 100, what: `deriver ready (${d.lines.slice(-5).join(' | ')})` });
}

const t0 = Date.now() - 3_600_000;
const at = (minute: number): number => t0 + minute * 60_000;
const gps = (vehicleId: string, accountId: string, minute: number, extra: Partial<GpsPoint> = {}): GpsPoint => ({
  vehicleId, accountId, time: at(minute), lat: 52.5, lon: 13.4, speedKmh: 42, headingDeg: 180, odometerKm: 1_000 + minute, ignition: true, ...extra,
});
const dtc = (vehicleId: string, accountId: string, minute: number, code: string, status: Dtc['status']): Dtc => ({ vehicleId, accountId, time: at(minute), code, source: 'OBD_II', status, simulated: true });
const event = (vehicleId: string, accountId: string, minute: number, type: VehicleEvent['type'], extra: Partial<VehicleEvent> = {}): VehicleEvent => ({ vehicleId, accountId, time: at(minute), type, origin: 'device', ...extra });

async function send(kind: 'gps' | 'dtc' | 'events', values: readonly (GpsPoint | Dtc | VehicleEvent | Buffer)[]): Promise<void> {
  const topic = topics.get(kind === 'events' ? 'telemetry.events' : `telemetry.${kind}`).name;
  const encode = (v: GpsPoint | Dtc | VehicleEvent): Buffer => (encoders[kind] as AvroEncoder<GpsPoint | Dtc | VehicleEvent>).encode(v);
  await producer.send({ topic, acks: -1, messages: values.map((v) => ({ key: Buffer.isBuffer(v) ? 'veh_garbage' : v.vehicleId, value: Buffer.isBuffer(v) ? v : encode(v) })) });
}

type StateView = Record<string, unknown> & { activeDtcs: { code: string }[]; lastEventTimes: Record<string, string> };

async function stateOf(vehicleId: string, key: string = accountKeys.acc_alpha): Promise<{ status: number; json: StateView }> {
  const reply = await h.call(app, 'GET', `/v1/vehicles/${encodeURIComponent(vehicleId)}/state`, { key });
  return { status: reply.status, json: reply.json as StateView };
}

async function waitForState(vehicleId: string, what: string, test: (s: StateView) => boolean): Promise<StateView> {
  let last: StateView | undefined;
  await waitFor(async () => {
    const r = await stateOf(vehicleId, operatorKey);
    last = r.json;
    return r.status === 200 && test(r.json);
  }, { timeoutMs: 60_000, intervalMs: 200, what: `${what} (last: ${JSON.stringify(last)})` });
  return last as StateView;
}

beforeAll(async () => {
  h = await AdminApiHarness.create();
  topics = topicCatalogue({ prefix: h.prefix, partitions: { telemetry: 3, registry: 3, webhook: 3, deadletter: 1 } });
  const admin = h.kafka.admin();
  await admin.connect();
  await waitFor(() => applyTopicCatalogue(adminOf(admin), topics, 1).then(() => true), { timeoutMs: 30_000, intervalMs: 500, what: 'test topics' });
  await waitFor(async () => {
    for (const t of topics.topics) await admin.fetchTopicOffsets(t.name);
    return true;
  }, { timeoutMs: 30_000, intervalMs: 300, what: 'leaders of the test topics' });
  await admin.disconnect();
  const encoderOf = async <T>(id: string): Promise<AvroEncoder<T>> => {
    const value = topics.get(id).value;
    if (value.format !== 'avro') throw new Error(`${id} is not Avro`);
    return registry.encoderFor<T>(valueSubject(topics.get(id).name), loadAvroSchema(value.schemaFile), { autoRegister: true });
  };
  encoders = { gps: await encoderOf('telemetry.gps'), dtc: await encoderOf('telemetry.dtc'), events: await encoderOf('telemetry.events') };
  producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  app = await h.startInstance();
  deriver = startDeriver();
  await ready(deriver);
}, 120_000);

afterAll(async () => {
  deriver?.child.kill('SIGTERM');
  await deriver?.exited;
  await producer?.disconnect();
  const admin = h.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topics.topics.map((t) => t.name) }).catch(() => undefined);
  await admin.disconnect();
  await h?.close();
});

describe('vehicle.state and GET /v1/vehicles/:vehicleId/state on the real stack', () => {
  it('materialises GPS, DTCs and events per vehicle, scoped to the account, passing over malformed records', async () => {
    const sim = uniqueName('veh-sim');
    const real = uniqueName('veh-real');
    await send('dtc', [Buffer.from('not avro'), dtc(sim, 'acc_alpha', 1, 'P0301', 'active'), dtc(sim, 'acc_alpha', 2, 'P0420', 'active'), dtc(sim, 'acc_alpha', 3, 'P0301', 'cleared')]);
    await send('gps', [gps(sim, 'acc_alpha', 1, { simulated: true }), gps(sim, 'acc_alpha', 4, { simulated: true, speedKmh: 0, ignition: false, lat: 48.1, lon: 11.5 }), gps(real, 'acc_beta', 2)]);
    await send('events', [event(sim, 'acc_alpha', 2, 'ignition_on', { simulated: true }), event(sim, 'acc_alpha', 5, 'dvir', { dvirStatus: 'satisfactory', simulated: true })]);

    const s = await waitForState(sim, 'the simulated vehicle\'s state', (v) => v.lastEventTimes.dvir !== undefined && v.activeDtcs.length === 1 && (v.location as { lat: number } | null)?.lat === 48.1);
    expect(s).toMatchObject({
      vehicleId: sim, accountId: 'acc_alpha', mode: 'simulated', time: new Date(at(5)).toISOString(),
      location: { lat: 48.1, lon: 11.5, time: new Date(at(4)).toISOString() }, speedKmh: 0, headingDeg: 180, odometerKm: 1_004, ignition: false,
      activeDtcs: [{ code: 'P0420', source: 'OBD_II', time: new Date(at(2)).toISOString() }],
      lastEventTimes: { ignition_on: new Date(at(2)).toISOString(), dvir: new Date(at(5)).toISOString() },
    });

    // Account scope: the owner and the operator read it; another account gets the same 404 as a vehicle never seen.
    expect((await stateOf(sim)).status).toBe(200);
    const foreign = await stateOf(sim, accountKeys.acc_beta);
    expect(foreign.status).toBe(404);
    expect(foreign.json).toMatchObject({ code: 'not_found' });
    expect((await stateOf(uniqueName('veh-never'))).status).toBe(404);
    expect((await stateOf('x'.repeat(129))).status).toBe(404);
    const r = await waitForState(real, 'the real vehicle\'s state', (v) => v.location !== null);
    expect(r).toMatchObject({ accountId: 'acc_beta', mode: 'live', activeDtcs: [], lastEventTimes: {} });
    expect((await stateOf(real)).status).toBe(404);
    expect(deriver.lines.some((l) => l.includes('state stage skipping a malformed record'))).toBe(true);
  }, 90_000);

  it('after a SIGKILL the restarted stage restores every snapshot and goes on from it, losing no record', async () => {
    const v = uniqueName('veh-kill');
    await send('gps', [gps(v, 'acc_alpha', 10, { simulated: true })]);
    await send('dtc', [dtc(v, 'acc_alpha', 10, 'P0101', 'active')]);
    await waitForState(v, 'first records', (s) => s.mode === 'simulated' && s.activeDtcs.length === 1);
    deriver.child.kill('SIGKILL');
    await deriver.exited;
    // Written while the stage is down: read after the restore, on top of the restored snapshot.
    await send('dtc', [dtc(v, 'acc_alpha', 11, 'P0202', 'active')]);
    await send('events', [event(v, 'acc_alpha', 12, 'heartbeat', { simulated: true })]);
    deriver = startDeriver();
    await ready(deriver);
    const s = await waitForState(v, 'the state after the restart', (x) => x.lastEventTimes.heartbeat !== undefined && x.activeDtcs.length === 2);
    expect(s).toMatchObject({ mode: 'simulated', activeDtcs: [{ code: 'P0101' }, { code: 'P0202' }], location: { time: new Date(at(10)).toISOString() } });
    expect(deriver.lines.some((l) => l.includes('"vehicle snapshots restored"'))).toBe(true);
  }, 120_000);
});
