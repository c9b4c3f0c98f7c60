import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Message } from 'kafkajs';
import type { GpsPoint } from '../schemas/telemetry-records.js';
import { topicCatalogue } from '../schemas/topics.js';
import type { TopicCatalogue } from '../schemas/topics.js';
import { TelemetryProducer } from '../services/producer/telemetry-producer.js';
import { adminOf, kafkaClientOf, reliableProducerConfig } from '../services/shared/kafka/kafkajs-adapter.js';
import { SchemaRegistryClient } from '../services/shared/schema-registry-client.js';
import { SecretBox, parseEncryptionKeys } from '../services/shared/secret-box.js';
import { sealSubscription } from '../services/shared/subscriptions/seal-subscription.js';
import { initialSigningSecrets } from '../services/shared/subscriptions/signing-secrets.js';
import { newSubscriptionId } from '../services/shared/subscriptions/subscription-ids.js';
import { encodeSubscriptionRecord } from '../services/shared/subscriptions/subscription-record-codec.js';
import type { Subscription } from '../services/shared/subscriptions/subscription-types.js';
import { applyTopicCatalogue } from '../services/topics/apply-topic-catalogue.js';
import { generateSigningSecret } from '../services/shared/webhook-signature.js';
import { BenchReceiver, percentile } from './dispatcher-receivers.js';
import { cpuSeconds, peakRssMiB } from './dispatcher-process-stats.js';

// npm run bench [-- --rate 30000 --seconds 30 --warmup 5 --max-items 500 --healthy-only]: simulator-like
// GPS load → one dispatcher (child process) → local receivers. 2,000 vehicles over 40 accounts,
// 1,000 GPS subscriptions of 2 vehicles each (default batching: 500 items / 5 s).
// `--max-items 1`: no batching (one item per request, wait 0): prints requests/s, CPU per request
// and p99 instead. `--healthy-only`: skips the run with 10 % hanging endpoints.
// BENCH_NODE_FLAGS='…' replaces the dispatcher's V8 flags (default: those of `npm run dispatcher`, '--max-semi-space-size=64'; '' for V8's defaults); BENCH_PROFILE_DIR=dir adds --cpu-prof to the dispatcher (summarise with bench/summarize-profile.ts).
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const maxItems = arg('max-items', 500);
const settings = {
  vehicles: 2_000, subscriptions: 1_000, rate: arg('rate', maxItems === 1 ? 2_000 : 30_000), seconds: arg('seconds', 30), warmupS: arg('warmup', 5),
  maxItems, maxWaitMs: maxItems === 1 ? 0 : 5_000, healthyOnly: process.argv.includes('--healthy-only'),
};
/** V8 flags of the dispatcher in package.json's `dispatcher` script, the Dockerfile and docker-compose.kafka.yml. */
const dispatcherNodeFlags = '--max-semi-space-size=64';
const brokers = (process.env.FLEETHOOK_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.FLEETHOOK_SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const kafka = new Kafka({ clientId: 'bench-dispatcher', brokers, logLevel: logLevel.NOTHING });
const vehicleId = (v: number): string => `veh_${String(v).padStart(6, '0')}`;
const accountOf = (v: number): string => `acc_${String(v % 40).padStart(4, '0')}`;

interface RunResult { name: string; delivered: number; requests: number; requestsPerS: number; cpuUsPerRequest: number; recordsPerS: number; p50Ms: number; p99Ms: number; cpuPct: number; cpuUsPerRecord: number; rssMiB: number; published: number; hungRequests: number; publishedS: number }

async function setUp(prefix: string, keys: string, hangingShare: number, healthy: BenchReceiver[], hanging: BenchReceiver): Promise<TopicCatalogue> {
  const topics = topicCatalogue({ prefix, partitions: { telemetry: 6, webhook: 6, deadletter: 1 } });
  const admin = kafka.admin();
  await admin.connect();
  await applyTopicCatalogue(adminOf(admin), topics, 1);
  for (let i = 0; i < 60; i++) {
    try {
      for (const t of topics.topics) await admin.fetchTopicOffsets(t.name);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await admin.disconnect();
  const box = new SecretBox(parseEncryptionKeys(keys).keys, 'k1');
  const messages: Message[] = [];
  const now = new Date().toISOString();
  for (let s = 0; s < settings.subscriptions; s++) {
    // Vehicles v and v + 40 share an account (account = vehicle mod 40): pair them.
    const v1 = 80 * Math.floor(s / 40) + (s % 40);
    const hangs = s < settings.subscriptions * hangingShare;
    const url = hangs ? hanging.url(`hook/${s}`) : (healthy[s % healthy.length] as BenchReceiver).url(`hook/${s}`);
    const sub: Subscription = {
      id: newSubscriptionId(), accountId: accountOf(v1), state: 'active', name: `bench ${s}`, url, source: { kind: 'gps' },
      vehicleFilter: { vehicleIds: [vehicleId(v1), vehicleId(v1 + 40)] },
      contentType: 'application/json', batching: { maxItems: settings.maxItems, maxWaitMs: settings.maxWaitMs }, auth: { type: 'bearer', tokenValue: 'bench' },
      alertEmails: [], retryPolicy: 'standard-7d', signing: initialSigningSecrets(generateSigningSecret()),
      verifiedAt: now, createdAt: now, updatedAt: now, revision: 1,
    };
    messages.push({ key: sub.id, value: encodeSubscriptionRecord(sealSubscription(box, sub)) });
  }
  const producer = kafka.producer(reliableProducerConfig);
  await producer.connect();
  for (let i = 0; i < messages.length; i += 200) await producer.send({ topic: topics.get('webhook.subscriptions').name, acks: -1, messages: messages.slice(i, i + 200) });
  await producer.disconnect();
  return topics;
}

async function startDispatcher(prefix: string, keys: string): Promise<{ child: ChildProcess; port: number }> {
  const profile = process.env.BENCH_PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`];
  // The dispatcher's own flags as `npm run dispatcher` and the image set them, unless BENCH_NODE_FLAGS says otherwise.
  const flags = (process.env.BENCH_NODE_FLAGS ?? dispatcherNodeFlags).split(' ').filter((f) => f !== '');
  const child = spawn(process.execPath, [...flags, ...profile, '--import', 'tsx', 'services/dispatcher/main.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env, FLEETHOOK_TOPIC_PREFIX: prefix, FLEETHOOK_SECRET_KEYS: keys, FLEETHOOK_KAFKA_BROKERS: brokers.join(','),
      FLEETHOOK_SCHEMA_REGISTRY_URL: registryUrl, FLEETHOOK_REDIS_KEY_PREFIX: `${prefix}fh:`, FLEETHOOK_DISPATCHER_GROUP_ID: `${prefix}dispatcher`,
      FLEETHOOK_DISPATCHER_HOST: '127.0.0.1', FLEETHOOK_DISPATCHER_PORT: '0', FLEETHOOK_DISPATCHER_ALLOW_ADDRESSES: '127.0.0.0/8',
      FLEETHOOK_DISPATCHER_LOG_LEVEL: 'error', FLEETHOOK_DISPATCHER_SHUTDOWN_GRACE_MS: '1000',
    },
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /"msg":"dispatcher ready","port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`dispatcher exited: ${out}`)));
  });
  for (;;) {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, port };
}

/** Publishes one tick of all vehicles at a time, paced to `rate` records/s, for `seconds`. */
async function publishLoad(producer: TelemetryProducer, seconds: number, rate: number): Promise<number> {
  const ticksPerS = rate / settings.vehicles;
  const totalTicks = Math.round(seconds * ticksPerS);
  const startMs = Date.now();
  let published = 0;
  for (let tick = 0; tick < totalTicks; tick++) {
    const dueMs = startMs + (tick * 1_000) / ticksPerS;
    const waitMs = dueMs - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    const now = Date.now();
    const points: GpsPoint[] = [];
    for (let v = 0; v < settings.vehicles; v++) {
      points.push({
        vehicleId: vehicleId(v), accountId: accountOf(v), time: now, lat: 52.5 + v / 10_000, lon: 13.4 + tick / 100_000,
        speedKmh: (tick + v) % 120, headingDeg: v % 360, odometerKm: 1_000 + tick / 100, ignition: true, postedSpeedLimitKmh: 50, seq: tick,
      });
    }
    await producer.publishGps(points);
    published += points.length;
  }
  return published;
}

async function run(name: string, hangingShare: number): Promise<RunResult> {
  const prefix = `bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const healthy = [await BenchReceiver.start('healthy'), await BenchReceiver.start('healthy')];
  const hanging = await BenchReceiver.start('hanging');
  const topics = await setUp(prefix, keys, hangingShare, healthy, hanging);
  const dispatcher = await startDispatcher(prefix, keys);
  const pid = dispatcher.child.pid as number;
  const producer = new TelemetryProducer(kafkaClientOf(kafka), new SchemaRegistryClient({ url: registryUrl }), topics, { compression: 'none', autoRegisterSchemas: true });
  await producer.connect();
  const measureFromMs = Date.now() + settings.warmupS * 1_000;
  for (const r of healthy) r.measureFromMs = measureFromMs;
  const cpuStart = cpuSeconds(pid);
  const startMs = Date.now();
  const trace = process.env.BENCH_TRACE === undefined ? undefined : setInterval(() => void traceLine(dispatcher.port, startMs, healthy), 2_000);
  const published = await publishLoad(producer, settings.seconds, settings.rate);
  const publishedS = (Date.now() - startMs) / 1_000;
  clearInterval(trace);
  const expectedHealthy = Math.round(published * (1 - hangingShare));
  const drainDeadline = Date.now() + 30_000;
  while (healthy.reduce((n, r) => n + r.items, 0) < expectedHealthy && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 200));
  const lastArrival = Math.max(...healthy.map((r) => r.lastArrivalMs));
  const cpuUsed = cpuSeconds(pid) - cpuStart;
  const cpuPct = (100 * cpuUsed) / ((lastArrival - startMs) / 1_000);
  const rssMiB = peakRssMiB(pid);
  const delivered = healthy.reduce((n, r) => n + r.items, 0);
  const requests = healthy.reduce((n, r) => n + r.okRequests, 0);
  const latencies = healthy.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const metrics = await (await fetch(`http://127.0.0.1:${dispatcher.port}/metrics`)).text();
  if (process.env.BENCH_METRICS) process.stdout.write(metrics.split('\n').filter((l) => /^fleethook_dispatcher_(deliveries|records|items|open|paused|request_duration_seconds_bucket|nodejs_eventloop_lag_(max|p99)_seconds|nodejs_gc_duration_seconds_sum)/.test(l)).join('\n') + '\n');
  dispatcher.child.kill('SIGTERM');
  await new Promise((r) => dispatcher.child.once('exit', r));
  await producer.close();
  await Promise.all([...healthy, hanging].map((r) => r.close()));
  await cleanUp(topics);
  return {
    name, delivered, published, recordsPerS: delivered / ((lastArrival - startMs) / 1_000),
    requests, requestsPerS: requests / ((lastArrival - startMs) / 1_000), cpuUsPerRequest: (cpuUsed * 1e6) / Math.max(1, requests),
    p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpuPct, rssMiB,
    // Per published record (every record is matched; hung ones are attempted): robust to a busy machine.
    cpuUsPerRecord: (cpuUsed * 1e6) / Math.max(1, published), hungRequests: hanging.requests, publishedS,
  };
}

/** Where the pipeline is, every 2 s: telemetry consumed, items matched, items delivered. */
async function traceLine(port: number, startMs: number, healthy: readonly BenchReceiver[]): Promise<void> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string): string => /^(\S+)\s+(\S+)$/m.exec(text.split('\n').filter((l) => l.startsWith(name)).join('\n'))?.[2] ?? '?';
  process.stdout.write(`  t=${((Date.now() - startMs) / 1_000).toFixed(0)}s consumed ${value('fleethook_dispatcher_records_consumed_total')} ` +
    `open ${value('fleethook_dispatcher_open_items')} received ${healthy.reduce((n, r) => n + r.items, 0)}\n`);
}

/**
 * Deletes the run's topics and its Redis keys. The keys matter: a run leaves ~150 MiB in the
 * shared Redis (status, attempt logs, and live feeds of 20 bodies of up to 8 KiB for each of
 * 1,000 subscriptions), and Redis' background saves of gigabytes of old runs took most of a
 * core on the 2-core machine, in every later measurement.
 */
async function cleanUp(topics: TopicCatalogue): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topics.topics.map((t) => t.name) }).catch(() => undefined);
  await admin.disconnect();
  const redis = new Redis(process.env.FLEETHOOK_REDIS_URL ?? 'redis://127.0.0.1:16379', { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${topics.prefix}fh:*`, 'COUNT', 10_000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch (err) {
    process.stderr.write(`could not delete the run's Redis keys (${topics.prefix}fh:*): ${err instanceof Error ? err.message : String(err)}\n`);
  } finally {
    redis.disconnect();
  }
}

function report(r: RunResult): string {
  if (settings.maxItems === 1) {
    return `${r.name.padEnd(22)} ${r.requests.toLocaleString('en-US')} requests of one item (${r.published.toLocaleString('en-US')} published) | ` +
      `${Math.round(r.requestsPerS).toLocaleString('en-US')} requests/s | latency p50 ${(r.p50Ms / 1_000).toFixed(2)} s p99 ${(r.p99Ms / 1_000).toFixed(2)} s | ` +
      `dispatcher CPU ${r.cpuPct.toFixed(0)} % (of one core), ${r.cpuUsPerRequest.toFixed(0)} µs/request, peak RSS ${r.rssMiB.toFixed(0)} MiB`;
  }
  return `${r.name.padEnd(22)} delivered ${r.delivered.toLocaleString('en-US')} of ${r.published.toLocaleString('en-US')} published (in ${r.publishedS.toFixed(1)} s) | ` +
    `${Math.round(r.recordsPerS).toLocaleString('en-US')} records/s | latency p50 ${(r.p50Ms / 1_000).toFixed(2)} s p99 ${(r.p99Ms / 1_000).toFixed(2)} s | ` +
    `dispatcher CPU ${r.cpuPct.toFixed(0)} % (of one core), ${r.cpuUsPerRecord.toFixed(0)} µs/record, peak RSS ${r.rssMiB.toFixed(0)} MiB` +
    (r.delivered < r.published ? ' | INCOMPLETE within 30 s of the end (µs/record understated: not every record was delivered)' : '') +
    ` | load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

async function main(): Promise<void> {
  const batching = settings.maxItems === 1 ? 'no batching: 1 item per request' : `${settings.maxItems} items / ${settings.maxWaitMs / 1_000} s batching`;
  process.stdout.write(`dispatcher bench: ${settings.vehicles} vehicles, ${settings.subscriptions} GPS subscriptions (${batching}), ` +
    `${settings.rate.toLocaleString('en-US')} records/s for ${settings.seconds} s (first ${settings.warmupS} s not measured)\n`);
  const healthy = await run('all endpoints healthy', 0);
  process.stdout.write(`${report(healthy)}\n`);
  const p99LimitMs = settings.maxWaitMs + 1_000;
  if (settings.maxItems === 1) {
    process.stdout.write(`targets: >= 2,000 requests/s: ${healthy.requestsPerS >= 2_000 ? 'met' : 'MISSED'}; p99 <= 1 s: ${healthy.p99Ms <= 1_000 ? 'met' : 'MISSED'}\n`);
  } else {
    process.stdout.write(`targets: >= ${settings.rate.toLocaleString('en-US')} records/s: ${healthy.recordsPerS >= settings.rate * 0.99 ? 'met' : 'MISSED'}; ` +
      `p99 <= ${p99LimitMs / 1_000} s: ${healthy.p99Ms <= p99LimitMs ? 'met' : 'MISSED'}; <= 25 µs/record: ${healthy.cpuUsPerRecord <= 25 ? 'met' : 'MISSED'}\n`);
  }
  if (settings.healthyOnly) return;
  const withHanging = await run('10 % hanging', 0.1);
  process.stdout.write(`${report(withHanging)} | ${withHanging.hungRequests} requests hung\n`);
  const ratio = withHanging.p99Ms / healthy.p99Ms;
  process.stdout.write(`healthy p99 with 10 % hanging within 20 %: ${ratio <= 1.2 ? 'met' : 'MISSED'} (x${ratio.toFixed(2)})\n`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
