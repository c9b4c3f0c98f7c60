import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { Message } from 'kafkajs';
import { topicCatalogue } from '../schemas/topics.js';
import type { TopicCatalogue } from '../schemas/topics.js';
import { TelemetryProducer } from '../services/producer/telemetry-producer.js';
import { adminOf, kafkaClientOf, reliableProducerConfig } from '../services/shared/kafka/kafkajs-adapter.js';
import { encodeLandmarkRecord } from '../services/shared/landmarks/landmark-record-codec.js';
import { SchemaRegistryClient } from '../services/shared/schema-registry-client.js';
import { SecretBox, parseEncryptionKeys } from '../services/shared/secret-box.js';
import { sealSubscription } from '../services/shared/subscriptions/seal-subscription.js';
import { initialSigningSecrets } from '../services/shared/subscriptions/signing-secrets.js';
import { newSubscriptionId } from '../services/shared/subscriptions/subscription-ids.js';
import { encodeSubscriptionRecord } from '../services/shared/subscriptions/subscription-record-codec.js';
import type { EventSelection, Subscription } from '../services/shared/subscriptions/subscription-types.js';
import { generateSigningSecret } from '../services/shared/webhook-signature.js';
import { applyTopicCatalogue } from '../services/topics/apply-topic-catalogue.js';
import { BenchFleet, benchAccountId, benchLandmarks, seededRandom } from './deriver-fixtures.js';
import { cpuSeconds, peakRssMiB } from './dispatcher-process-stats.js';

/**
 * `npm run bench:deriver [-- --points 600000 --vehicles 2000 --landmarks 10000]`: the
 * deriver service end to end. Fresh topics (a unique prefix) get one account's landmarks on
 * `fleet.landmarks`, one event subscription asking for two speeding rules and one posted-speeding
 * rule, and a backlog of GPS points on `telemetry.gps` (Avro, through the producer library).
 * Then one deriver (`services/deriver/main.ts`, a child process in a new group) drains the
 * backlog: decode, rules, events to `telemetry.events` and states to the changelog, commits.
 * Draining a backlog at X points/s means one instance keeps up with X points/s of live load.
 * Prints points/s and events/s (from the deriver's counters, from ready to the last point),
 * the deriver's CPU µs per point and its peak RSS; the target is >= 20,000 points/s.
 * BENCH_DEBUG_LOG=1 (with FLEETHOOK_DERIVER_LOG_LEVEL=info) prints the deriver's log at the end.
 */
const { values } = parseArgs({
  options: { points: { type: 'string', default: '600000' }, vehicles: { type: 'string', default: '2000' }, landmarks: { type: 'string', default: '10000' } },
});
const settings = { points: Number(values.points), vehicles: Number(values.vehicles), landmarks: Number(values.landmarks) };
const brokers = (process.env.FLEETHOOK_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.FLEETHOOK_SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const kafka = new Kafka({ clientId: 'bench-deriver', brokers, logLevel: logLevel.NOTHING });

async function createTopics(topics: TopicCatalogue): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await applyTopicCatalogue(adminOf(admin), topics, 1);
  // New topics may briefly have no leader: wait until every one answers.
  for (let i = 0; i < 60; i++) {
    try {
      for (const t of topics.topics) await admin.fetchTopicOffsets(t.name);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await admin.disconnect();
}

/** The landmarks and the subscription whose speed rules the deriver compiles. */
async function writeRegistries(topics: TopicCatalogue): Promise<void> {
  const producer = kafka.producer(reliableProducerConfig);
  await producer.connect();
  const at = new Date().toISOString();
  const landmarks: Message[] = benchLandmarks(settings.landmarks, seededRandom(7)).map((l) => ({ key: l.id, value: encodeLandmarkRecord({ ...l, createdAt: at, updatedAt: at }) }));
  for (let i = 0; i < landmarks.length; i += 1_000) await producer.send({ topic: topics.get('fleet.landmarks').name, acks: -1, messages: landmarks.slice(i, i + 1_000) });
  const now = at;
  const box = new SecretBox(parseEncryptionKeys(`k1:${randomBytes(32).toString('base64')}`).keys, 'k1');
  const subscription = (eventTypes: EventSelection[]): Subscription => ({
    id: newSubscriptionId(), accountId: benchAccountId, state: 'active', name: 'bench events', url: 'https://hooks.example.com/bench',
    source: { kind: 'event', eventTypes }, vehicleFilter: null, contentType: 'application/json', batching: { maxItems: 1, maxWaitMs: 0 }, auth: { type: 'none' },
    alertEmails: [], retryPolicy: 'standard-7d', signing: initialSigningSecrets(generateSigningSecret()), verifiedAt: now, createdAt: now, updatedAt: now, revision: 1,
  });
  // A subscription selects an event type once: the second speeding rule needs a second subscription.
  const subs = [
    subscription([{ type: 'speeding', threshold: 100, units: 'kmh' }, { type: 'landmark_change' }, { type: 'idle' }]),
    subscription([{ type: 'speeding', threshold: 70, units: 'mph' }, { type: 'posted_speeding', threshold: 10, units: 'kmh' }]),
  ];
  await producer.send({
    topic: topics.get('webhook.subscriptions').name, acks: -1,
    messages: subs.map((s) => ({ key: s.id, value: encodeSubscriptionRecord(sealSubscription(box, s)) })),
  });
  await producer.disconnect();
}

/** The GPS backlog, published before the deriver starts; returns how long publishing took. */
async function publishBacklog(topics: TopicCatalogue): Promise<number> {
  const producer = new TelemetryProducer(kafkaClientOf(kafka), new SchemaRegistryClient({ url: registryUrl }), topics, { compression: 'none', autoRegisterSchemas: true });
  await producer.connect();
  const started = Date.now();
  // The points end a minute ago: all of them are within the telemetry rules' time window.
  const fleet = new BenchFleet(settings.vehicles, seededRandom(42), started - 60_000 - BenchFleet.spanMs(settings.points, settings.vehicles));
  const chunk = 10_000;
  for (let i = 0; i < settings.points; i += chunk) {
    const points = Array.from({ length: Math.min(chunk, settings.points - i) }, (_, k) => fleet.point(i + k));
    await producer.publishGps(points);
  }
  await producer.close();
  return (Date.now() - started) / 1_000;
}

async function startDeriver(prefix: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/deriver/main.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env, FLEETHOOK_TOPIC_PREFIX: prefix, FLEETHOOK_KAFKA_BROKERS: brokers.join(','), FLEETHOOK_SCHEMA_REGISTRY_URL: registryUrl,
      FLEETHOOK_DERIVER_GROUP_ID: `${prefix}deriver`, FLEETHOOK_DERIVER_HOST: '127.0.0.1', FLEETHOOK_DERIVER_PORT: '0',
      FLEETHOOK_DERIVER_LOG_LEVEL: process.env.FLEETHOOK_DERIVER_LOG_LEVEL ?? 'error', FLEETHOOK_DERIVER_REGISTRY_CATCH_UP_MS: '120000',
    },
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /"msg":"deriver ready","port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`deriver exited: ${out}`)));
  });
  // Its log after ready (warnings and errors), for a run that goes wrong.
  child.stdout?.on('data', (d: Buffer) => {
    if (out.length < 100_000) out += d.toString('utf8');
  });
  child.once('exit', (code, signal) => {
    if (process.env.BENCH_DEBUG_LOG !== undefined || (code !== 0 && signal !== 'SIGTERM')) process.stderr.write(`deriver exited (${code ?? signal}):\n${out.slice(-50_000)}\n`);
  });
  return { child, port };
}

/** Sums of the deriver's counters: points read (every outcome) and events written. */
/** Points counts every point read once (a point read again after a rebalance is `replayed`, counted apart). */
async function counters(port: number): Promise<{ points: number; replayed: number; events: number; landmarkEvents: number }> {
  const text = await getText(`http://127.0.0.1:${port}/metrics`);
  const sum = (re: RegExp): number => text.split('\n').filter((l) => re.test(l)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    points: sum(/^fleethook_deriver_points_total\{outcome="(applied|out_of_order|malformed)"/),
    replayed: sum(/^fleethook_deriver_points_total\{outcome="replayed"/),
    events: sum(/^fleethook_deriver_events_total\{/),
    landmarkEvents: sum(/^fleethook_deriver_events_total\{type="landmark_/),
  };
}

/** A GET that retries for a while: on a loaded machine the ops listener may not answer at once. */
async function getText(url: string, attempts = 50): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url);
      if (res.ok || attempt >= attempts) return await res.text();
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const prefix = `bench-deriver-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
  const topics = topicCatalogue({ prefix });
  process.stdout.write(`deriver bench: ${settings.points.toLocaleString('en-US')} GPS points of ${settings.vehicles.toLocaleString('en-US')} vehicles, ` +
    `${settings.landmarks.toLocaleString('en-US')} landmarks in one account, 3 speed rules; ${topics.get('telemetry.gps').partitions} GPS partitions\n`);
  await createTopics(topics);
  try {
    await writeRegistries(topics);
    const publishS = await publishBacklog(topics);
    process.stdout.write(`backlog published in ${publishS.toFixed(1)} s\n`);
    const deriver = await startDeriver(prefix);
    const pid = deriver.child.pid as number;
    await getText(`http://127.0.0.1:${deriver.port}/readyz`, 600);
    const readyMs = Date.now();
    const cpu0 = cpuSeconds(pid);
    let last = await counters(deriver.port);
    let lastChangeMs = Date.now();
    while (last.points < settings.points && Date.now() - lastChangeMs < 60_000) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await counters(deriver.port);
      if (now.points !== last.points) lastChangeMs = Date.now();
      last = now;
    }
    const seconds = (lastChangeMs - readyMs) / 1_000;
    const cpuUsed = cpuSeconds(pid) - cpu0;
    const rssMiB = peakRssMiB(pid);
    deriver.child.kill('SIGTERM');
    await new Promise((r) => deriver.child.once('exit', r));
    const pointsPerS = last.points / seconds;
    process.stdout.write(
      `read ${last.points.toLocaleString('en-US')} points (and ${last.replayed.toLocaleString('en-US')} again after a rebalance) in ${seconds.toFixed(1)} s (from ready to the last one)${last.points < settings.points ? ' — INCOMPLETE: stalled for 60 s' : ''} | ` +
        `${Math.round(pointsPerS).toLocaleString('en-US')} points/s | ${last.events.toLocaleString('en-US')} events (${last.landmarkEvents.toLocaleString('en-US')} landmark), ` +
        `${Math.round(last.events / seconds).toLocaleString('en-US')} events/s | deriver CPU ${((cpuUsed * 1e6) / Math.max(1, last.points)).toFixed(1)} µs/point, ` +
        `${((100 * cpuUsed) / seconds).toFixed(0)} % of one core | peak RSS ${rssMiB.toFixed(0)} MiB | load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
    );
    if (last.landmarkEvents === 0) process.stdout.write('no landmark event: the deriver did not load the landmarks (see its log with FLEETHOOK_DERIVER_LOG_LEVEL=warn)\n');
    process.stdout.write(`target >= 20,000 points/s: ${pointsPerS >= 20_000 ? 'met' : 'MISSED'} (figures, not an assertion: the machine is shared)\n`);
  } finally {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: topics.topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? `${err.stack ?? err.message} (cause: ${String(err.cause)})` : String(err)}\n`);
  process.exit(1);
});
