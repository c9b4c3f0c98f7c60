import kafkajs from 'kafkajs';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { valueSubject } from '../../schemas/topics.js';
import type { DispatcherApp } from '../../services/dispatcher/dispatcher-app.js';
import { loadAvroSchema } from '../../services/shared/avro-schema-files.js';
import { reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { DispatcherHarness, partitionOf } from '../helpers/dispatcher-harness.js';
import { generateMalformedWithValid, malformedSeqBase } from '../helpers/malformed-telemetry.js';
import type { Encoders, TelemetryTopicId, TestRecord } from '../helpers/malformed-telemetry.js';
import { stackEnv } from '../helpers/stack-env.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// kafkajs is CommonJS; Node's named-export detection misses ConfigResourceTypes.
const { ConfigResourceTypes } = kafkajs;

const accountId = 'acc_m';
const seed = 20_261_201;
const telemetryPartitions = 3;

interface Delivered {
  readonly type: string;
  readonly vehicleId: string;
  readonly seq: number;
  readonly time: string;
}

async function encoders(h: DispatcherHarness): Promise<Encoders> {
  const registry = new SchemaRegistryClient({ url: stackEnv.registryUrl });
  const enc = <T>(topicId: string) => {
    const spec = h.topics.get(topicId);
    if (spec.value.format !== 'avro') throw new Error(`${topicId} is not Avro`);
    return registry.encoderFor<T>(valueSubject(spec.name), loadAvroSchema(spec.value.schemaFile), { autoRegister: true });
  };
  return { gps: await enc<GpsPoint>('telemetry.gps'), dtc: await enc<Dtc>('telemetry.dtc'), events: await enc<VehicleEvent>('telemetry.events') };
}

/** Publishes records in order, per topic, and returns each record's origin (`topic/partition/offset`). */
async function publishInOrder(h: DispatcherHarness, producer: Producer, records: readonly TestRecord[]): Promise<Map<TestRecord, string>> {
  const origins = new Map<TestRecord, string>();
  const byTopic = new Map<TelemetryTopicId, TestRecord[]>();
  for (const r of records) byTopic.set(r.topicId, [...(byTopic.get(r.topicId) ?? []), r]);
  for (const [topicId, list] of byTopic) {
    const topic = h.topics.get(topicId).name;
    for (let i = 0; i < list.length; i += 250) {
      const chunk = list.slice(i, i + 250);
      const meta = await producer.send({ topic, acks: -1, messages: chunk.map((r) => ({ key: r.key, value: r.value })) });
      const next = new Map(meta.map((m) => [m.partition, BigInt(m.baseOffset ?? '0')]));
      for (const r of chunk) {
        const partition = partitionOf(r.key, telemetryPartitions);
        const offset = next.get(partition);
        if (offset === undefined) throw new Error(`no produce result for partition ${partition}`);
        next.set(partition, offset + 1n);
        origins.set(r, `${topic}/${partition}/${offset}`);
      }
    }
  }
  return origins;
}

function deliveredItems(receiver: WebhookReceiver): Delivered[] {
  return receiver.requests.flatMap((q) => {
    const body = JSON.parse(q.text) as { type: string; data: { vehicleId: string; seq: number; time: string }[] };
    return body.data.map((d) => ({ type: body.type, vehicleId: d.vehicleId, seq: d.seq, time: d.time }));
  });
}

const kindOf = (topicId: TelemetryTopicId): string => (topicId === 'telemetry.gps' ? 'gps' : topicId === 'telemetry.dtc' ? 'dtc' : 'event');

/** Polls /readyz from now on and keeps every answer that was not 200. */
function watchReadiness(app: DispatcherApp): { stop(): Promise<string[]> } {
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await fetch(`http://127.0.0.1:${app.port}/readyz`).catch((err: unknown) => ({ status: 0, text: async () => String(err) }));
      if (res.status !== 200) failures.push(`${res.status} ${await res.text()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { stop: async () => { running = false; await loop; return failures; } };
}

describe('malformed telemetry at the match stage', () => {
  let h: DispatcherHarness;
  let receiver: WebhookReceiver;
  let app: DispatcherApp;
  let producer: Producer;
  let enc: Encoders;

  beforeAll(async () => {
    // A stall bound short enough that a partition stuck behind a poison record would be seen within the test.
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_STALL_AFTER_MS: '10000' });
    receiver = await WebhookReceiver.start();
    app = await h.startInProcess();
    producer = h.kafka.producer(reliableProducerConfig);
    await producer.connect();
    enc = await encoders(h);
    const batching = { maxItems: 500, maxWaitMs: 100 };
    await h.subscribe({ url: receiver.url, accountId, source: { kind: 'gps' }, batching });
    await h.subscribe({ url: receiver.url, accountId, source: { kind: 'dtc' }, batching });
    await h.subscribe({ url: receiver.url, accountId, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 0, units: 'kmh' }] }, batching });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${app.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'dispatcher ready' });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await receiver?.close();
    await h?.close();
  });

  it('dead-letters the three poison records and 1,000 random malformed ones with their reasons, delivers every valid record behind them, and stays ready', async () => {
    const readiness = watchReadiness(app);
    const nowMs = Date.now();
    const gps = (vehicleId: string, seq: number, time: number): GpsPoint => ({
      vehicleId, accountId, time, lat: 52.5, lon: 13.4, speedKmh: 40, headingDeg: 90, odometerKm: 1_000, ignition: true, seq,
    });
    const validGps = (vehicleId: string, seq: number): TestRecord => ({ kind: 'valid', topicId: 'telemetry.gps', key: vehicleId, value: enc.gps.encode(gps(vehicleId, seq, nowMs)), vehicleId, seq });
    // (c) an undecodable record about 190 B under the topic's max.message.bytes: its dead letter with headers would not fit whole.
    const admin = h.kafka.admin();
    await admin.connect();
    const gpsTopic = h.topics.get('telemetry.gps').name;
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: gpsTopic, configNames: ['max.message.bytes'] }] });
    await admin.disconnect();
    const maxMessageBytes = Number(resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
    expect(maxMessageBytes).toBeGreaterThan(10_000);
    const huge = Buffer.alloc(maxMessageBytes - 190 - 'veh_big'.length, 0x41);
    const poisons: TestRecord[] = [
      // (a) timestamped 2 h in the future (the broker refuses item timestamps over 1 h ahead; the match stage's window is 1 h).
      { kind: 'malformed', topicId: 'telemetry.gps', key: 'veh_future', value: enc.gps.encode(gps('veh_future', malformedSeqBase - 1, nowMs + 2 * 3_600_000)), reason: /time must be .* after now\), got \d+/, label: 'poison a' },
      validGps('veh_future', 1),
      // (b) a time outside a JS Date.
      { kind: 'malformed', topicId: 'telemetry.gps', key: 'veh_9e15', value: enc.gps.encode(gps('veh_9e15', malformedSeqBase - 2, 9e15)), reason: /time must be .*got 9000000000000000/, label: 'poison b' },
      validGps('veh_9e15', 1),
    ];
    const bigPoison: TestRecord = { kind: 'malformed', topicId: 'telemetry.gps', key: 'veh_big', value: huge, reason: /magic byte 65, expected 0/, label: 'poison c' };
    const behindBig = validGps('veh_big', 1);
    const random = generateMalformedWithValid({ seed, count: 1_000, accountId, encoders: enc, nowMs });

    const origins = await publishInOrder(h, producer, poisons);
    for (const [r, o] of await publishInOrder(h, producer, [bigPoison])) origins.set(r, o);
    for (const [r, o] of await publishInOrder(h, producer, [behindBig, ...random])) origins.set(r, o);
    const all = [...poisons, bigPoison, behindBig, ...random];
    const valid = all.filter((r): r is Extract<TestRecord, { kind: 'valid' }> => r.kind === 'valid');
    const malformed = all.filter((r): r is Extract<TestRecord, { kind: 'malformed' }> => r.kind === 'malformed');
    expect(malformed).toHaveLength(1_003);

    const expected = new Set(valid.map((r) => `${kindOf(r.topicId)}/${r.vehicleId}/${r.seq}`));
    await waitFor(() => {
      const got = new Set(deliveredItems(receiver).map((d) => `${d.type}/${d.vehicleId}/${d.seq}`));
      return [...expected].every((k) => got.has(k));
    }, { timeoutMs: 180_000, intervalMs: 500, what: `all ${expected.size} valid records delivered` });
    const delivered = deliveredItems(receiver);
    expect(delivered.filter((d) => d.seq >= malformedSeqBase - 2)).toEqual([]);
    expect(new Set(delivered.map((d) => `${d.type}/${d.vehicleId}/${d.seq}`))).toEqual(expected);

    const deadTopic = h.topics.get('telemetry.deadletter').name;
    const dead = await waitFor(async () => {
      const records = await readTopic(h.kafka, deadTopic);
      const byOrigin = new Map(records.map((d) => [`${String(d.headers['fleethook-origin-topic'])}/${String(d.headers['fleethook-origin-partition'])}/${String(d.headers['fleethook-origin-offset'])}`, d]));
      return byOrigin.size >= malformed.length ? byOrigin : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000, what: 'a dead letter per malformed record' });
    expect(dead.size).toBe(malformed.length);
    const wrong: string[] = [];
    for (const r of malformed) {
      const letter = dead.get(origins.get(r) ?? '');
      const reason = String(letter?.headers['fleethook-deadletter-reason'] ?? '(no dead letter)');
      if (!r.reason.test(reason)) wrong.push(`${r.label} @ ${origins.get(r)}: ${reason}`);
    }
    expect(wrong).toEqual([]);
    const big = dead.get(origins.get(bigPoison) ?? '');
    expect(String(big?.headers['fleethook-deadletter-truncated'])).toBe('true');
    expect(String(big?.headers['fleethook-original-value-bytes'])).toBe(String(huge.length));
    expect(big?.value?.length).toBeLessThan(huge.length);
    expect(big?.value?.equals(huge.subarray(0, big.value.length))).toBe(true);
    const small = dead.get(origins.get(poisons[2] as TestRecord) ?? '');
    expect(small?.value?.equals((poisons[2] as { value: Buffer }).value)).toBe(true);

    expect(await readiness.stop()).toEqual([]);
    const ready = (await (await fetch(`http://127.0.0.1:${app.port}/readyz`)).json()) as { status: string; match: { restarts: number; stalled: unknown[] } };
    expect(ready).toMatchObject({ status: 'ready', match: { restarts: 0, stalled: [] } });
    expect((await fetch(`http://127.0.0.1:${app.port}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
    const deadLettered = [...metrics.matchAll(/^fleethook_dispatcher_records_dead_lettered_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(deadLettered).toBeGreaterThanOrEqual(malformed.length);
    expect(metrics).toMatch(/fleethook_dispatcher_dead_letters_truncated_total\{topic="telemetry.gps"\} [1-9]/);
    expect(metrics).toMatch(/fleethook_dispatcher_records_dead_lettered_total\{topic="telemetry.gps",cause="invalid"\} [1-9]/);
  }, 300_000);
});

describe('the item timestamp on webhook.deliveries', () => {
  it('is the ingest time: a record 2 h ahead, allowed by a wider window, is delivered with its telemetry time (the broker refuses item timestamps over 1 h ahead)', async () => {
    const h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_MAX_RECORD_AHEAD_MS: String(3 * 3_600_000) });
    const receiver = await WebhookReceiver.start();
    try {
      await h.startInProcess();
      await h.subscribe({ url: receiver.url, accountId, source: { kind: 'gps' }, batching: { maxItems: 500, maxWaitMs: 100 } });
      const ahead = Date.now() + 2 * 3_600_000;
      const point: GpsPoint = { vehicleId: 'veh_ahead', accountId, time: ahead, lat: 1, lon: 2, speedKmh: 3, headingDeg: 4, odometerKm: 5, ignition: false, seq: 1 };
      await h.publish({ gps: [point, { ...point, time: Date.now(), seq: 2 }] });
      await waitFor(() => deliveredItems(receiver).length >= 2, { timeoutMs: 30_000, what: 'both points delivered' });
      expect(deliveredItems(receiver).map((d) => [d.seq, d.time])).toEqual([[1, new Date(ahead).toISOString()], [2, expect.any(String)]]);
      const items = await readTopic(h.kafka, h.topics.get('webhook.deliveries').name);
      expect(items).toHaveLength(2);
    } finally {
      await receiver.close();
      await h.close();
    }
  }, 120_000);
});

describe('when the broker refuses what fit the limits read at start', () => {
  it('dead-letters a record whose items are refused, skips and counts one whose dead letter is refused too, and delivers the rest', async () => {
    const h = await DispatcherHarness.create();
    const receiver = await WebhookReceiver.start();
    const admin = h.kafka.admin();
    await admin.connect();
    const setLimit = async (topicId: string, bytes: number): Promise<void> => {
      const name = h.topics.get(topicId).name;
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }] });
      await waitFor(async () => {
        const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] }] });
        return resources[0]?.configEntries[0]?.configValue === String(bytes);
      }, { what: `${topicId} max.message.bytes ${bytes}` });
      await new Promise((r) => setTimeout(r, 1_000)); // the broker applies it asynchronously
    };
    try {
      const app = await h.startInProcess();
      await h.subscribe({ url: receiver.url, accountId, source: { kind: 'dtc' }, batching: { maxItems: 1, maxWaitMs: 50 } });
      const dtc = (vehicleId: string, seq: number, description: string | null): Dtc => ({ vehicleId, accountId, time: Date.now(), code: 'P0300', source: 'OBD_II', status: 'active', description, seq });
      const long = 'misfire '.repeat(500).slice(0, 4_000); // valid (<= 4096 characters), its item is over 4 KB
      // Phase 1: webhook.deliveries takes at most 3,000 bytes now.
      await setLimit('webhook.deliveries', 3_000);
      await h.publish({ dtc: [dtc('veh_r', 1, null), dtc('veh_r', 2, long), dtc('veh_r', 3, null)] });
      await waitFor(() => deliveredItems(receiver).length >= 2, { timeoutMs: 30_000, what: 'the small records delivered' });
      const deadTopic = h.topics.get('telemetry.deadletter').name;
      const [refused] = await waitFor(async () => {
        const records = await readTopic(h.kafka, deadTopic);
        return records.length >= 1 ? records : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500, what: 'the refused record dead-lettered' });
      expect(String(refused?.headers['fleethook-deadletter-reason'])).toMatch(/^webhook.deliveries refused its items \((MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE)\)/);
      // Phase 2: telemetry.deadletter refuses even a dead letter without its value.
      await setLimit('telemetry.deadletter', 200);
      await h.publish({ dtc: [dtc('veh_r', 4, long), dtc('veh_r', 5, null)] });
      await waitFor(() => deliveredItems(receiver).length >= 3, { timeoutMs: 30_000, what: 'the record behind the skipped one delivered' });
      expect(deliveredItems(receiver).map((d) => d.seq)).toEqual([1, 3, 5]);
      const metrics = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
      expect(metrics).toMatch(/fleethook_dispatcher_records_skipped_total\{topic="telemetry.dtc"\} 1\b/);
      expect(metrics).toMatch(/fleethook_dispatcher_records_dead_lettered_total\{topic="telemetry.dtc",cause="refused"\} 1\b/);
      expect((await fetch(`http://127.0.0.1:${app.port}/readyz`)).status).toBe(200);
    } finally {
      await admin.disconnect();
      await receiver.close();
      await h.close();
    }
  }, 120_000);
});
