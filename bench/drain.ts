import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Message, Producer } from 'kafkajs';
import { topicCatalogue } from '../schemas/topics.js';
import type { TopicCatalogue } from '../schemas/topics.js';
import { encodeDeliveryItem } from '../services/dispatcher/delivery-item.js';
import { endpointData } from '../services/dispatcher/match/telemetry-record.js';
import { adminOf, producerOf, reliableProducerConfig } from '../services/shared/kafka/kafkajs-adapter.js';
import { SecretBox, parseEncryptionKeys } from '../services/shared/secret-box.js';
import { sealSubscription } from '../services/shared/subscriptions/seal-subscription.js';
import { initialSigningSecrets } from '../services/shared/subscriptions/signing-secrets.js';
import { newSubscriptionId } from '../services/shared/subscriptions/subscription-ids.js';
import type { Subscription } from '../services/shared/subscriptions/subscription-types.js';
import { SubscriptionWriter } from '../services/shared/subscriptions/subscription-writer.js';
import { generateSigningSecret } from '../services/shared/webhook-signature.js';
import { applyTopicCatalogue } from '../services/topics/apply-topic-catalogue.js';
import { cpuSeconds, peakRssMiB } from './dispatcher-process-stats.js';
import { percentile } from './dispatcher-receivers.js';
import { auditParked, highWatermark, measureBytes } from './parked-log-audit.js';
import type { ParkedAudit } from './parked-log-audit.js';

/**
 * `npm run bench:drain [-- --items 1000000 --vehicles 50 --limit-s 1200]` (issue 5): one
 * GPS subscription (500 items / 5 s batching) whose endpoint answers 503 while N items are
 * produced straight to `webhook.deliveries` (fan-out skipped), so the dispatcher (a child
 * process) parks it and appends them to `webhook.parked`; then the endpoint answers 200,
 * the tier consumer delivers the head, and the backlog drains. Prints the parking rate,
 * bytes per parked item (partition log sizes on the stack's disk), the drain rate and the
 * checks (every item parked once, every item received once and in order per vehicle).
 * GPS requests carry one vehicle: parking writes each closed 500-item batch (one vehicle)
 * as one run, so the drain can send full requests. `--limit-s`: the 7-day policy compressed
 * (FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE); it must outlast parking plus the tier wait.
 * BENCH_PROFILE_DIR=dir adds --cpu-prof to the dispatcher.
 */
const { values: opts } = parseArgs({
  options: { items: { type: 'string', default: '1000000' }, vehicles: { type: 'string', default: '50' }, 'limit-s': { type: 'string', default: '1200' } },
});
const settings = { items: Number(opts.items), vehicles: Number(opts.vehicles), limitS: Number(opts['limit-s']), sendBatch: 1_000, target: 20_000 };
const brokers = (process.env.FLEETHOOK_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.FLEETHOOK_SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const redisUrl = process.env.FLEETHOOK_REDIS_URL ?? 'redis://127.0.0.1:16379';
const kafkaDataDir = process.env.BENCH_KAFKA_DATA_DIR ?? join(process.cwd(), '.stack', 'data', 'kafka');
const kafka = new Kafka({ clientId: 'bench-drain', brokers, logLevel: logLevel.NOTHING });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const vehicleId = (v: number): string => `veh_${String(v).padStart(6, '0')}`;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The endpoint: 503 until switched, then 200; checks every item once and in order per vehicle (seq). */
class DrainReceiver {
  status = 503;
  refused = 0;
  items = 0;
  firstOkMs = 0;
  lastOkMs = 0;
  headItems = 0;
  duplicates = 0;
  gaps = 0;
  repeatedIds = 0;
  readonly sizes: number[] = [];
  readonly nextSeq = new Map<string, number>();
  private readonly ids = new Set<string>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
  }

  static async start(): Promise<DrainReceiver> {
    const server = createServer();
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1' }, r));
    return new DrainReceiver(server, (server.address() as AddressInfo).port);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = this.status;
      res.writeHead(status).end();
      if (status !== 200) {
        this.refused++;
        return;
      }
      const nowMs = Date.now();
      const id = String(req.headers['webhook-id'] ?? '');
      if (this.ids.has(id)) this.repeatedIds++;
      this.ids.add(id);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { vehicleId: string; seq: number }[] };
      if (this.firstOkMs === 0) {
        this.firstOkMs = nowMs;
        this.headItems = body.data.length;
      } else {
        this.sizes.push(body.data.length);
      }
      this.lastOkMs = nowMs;
      for (const { vehicleId: v, seq } of body.data) {
        const expected = this.nextSeq.get(v) ?? 0;
        if (seq < expected) this.duplicates++;
        else if (seq > expected) this.gaps += seq - expected;
        this.nextSeq.set(v, Math.max(expected, seq + 1));
        this.items++;
      }
    });
  }
}

async function createTopics(admin: Admin, topics: TopicCatalogue): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await applyTopicCatalogue(adminOf(admin), topics, 1);
      for (const t of topics.topics) await admin.fetchTopicOffsets(t.name);
      return;
    } catch (err) {
      if (attempt >= 60) throw err;
      await sleep(500);
    }
  }
}

async function subscribe(producer: Producer, topics: TopicCatalogue, box: SecretBox, url: string): Promise<Subscription> {
  const now = new Date().toISOString();
  const sub: Subscription = {
    id: newSubscriptionId(), accountId: 'acc_0001', state: 'active', name: 'drain bench', url, source: { kind: 'gps' }, vehicleFilter: null,
    contentType: 'application/json', batching: { maxItems: 500, maxWaitMs: 5_000 }, auth: { type: 'bearer', tokenValue: 'bench' },
    alertEmails: [], retryPolicy: 'standard-7d', signing: initialSigningSecrets(generateSigningSecret()), verifiedAt: now, createdAt: now, updatedAt: now, revision: 1,
  };
  await new SubscriptionWriter(producerOf(producer), topics.get('webhook.subscriptions').name).put(sealSubscription(box, sub));
  return sub;
}

async function startDispatcher(prefix: string, keys: string, log: string[]): Promise<{ child: ChildProcess; port: number }> {
  const profile = process.env.BENCH_PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`];
  // The dispatcher's V8 flags as `npm run dispatcher` sets them (BENCH_NODE_FLAGS replaces them, as in bench/dispatcher.ts).
  const flags = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=64').split(' ').filter((f) => f !== '');
  const child = spawn(process.execPath, [...flags, ...profile, '--import', 'tsx', 'services/dispatcher/main.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env, FLEETHOOK_TOPIC_PREFIX: prefix, FLEETHOOK_SECRET_KEYS: keys, FLEETHOOK_KAFKA_BROKERS: brokers.join(','),
      FLEETHOOK_SCHEMA_REGISTRY_URL: registryUrl, FLEETHOOK_REDIS_URL: redisUrl, FLEETHOOK_REDIS_KEY_PREFIX: `${prefix}fh:`, FLEETHOOK_DISPATCHER_GROUP_ID: `${prefix}dispatcher`,
      FLEETHOOK_DISPATCHER_HOST: '127.0.0.1', FLEETHOOK_DISPATCHER_PORT: '0', FLEETHOOK_DISPATCHER_ALLOW_ADDRESSES: '127.0.0.0/8',
      FLEETHOOK_DISPATCHER_LOG_LEVEL: 'warn', FLEETHOOK_DISPATCHER_SHUTDOWN_GRACE_MS: '1000',
      FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String((settings.limitS * 1_000) / (7 * 86_400_000)),
    },
  });
  let pending = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = /"msg":"dispatcher ready","port":(\d+)/.exec(line);
        if (m) resolve(Number(m[1]));
        else if (log.length < 1_000) log.push(line);
      }
    });
    child.once('exit', () => reject(new Error(`dispatcher exited: ${log.join('\n')}`)));
  });
  while ((await fetch(`http://127.0.0.1:${port}/readyz`)).status !== 200) await sleep(200);
  return { child, port };
}

/** N GPS items, vehicles round-robin (item i: vehicle i mod V, seq i div V), sent in order in batches. */
async function produceItems(producer: Producer, topics: TopicCatalogue, subscriptionId: string): Promise<number> {
  const { items, vehicles, sendBatch } = settings;
  const topic = topics.get('webhook.deliveries').name;
  const originTopic = topics.get('telemetry.gps').name;
  const baseMs = Date.now() - Math.ceil(items / vehicles) * 1_000;
  let partition = -1;
  for (let from = 0; from < items; from += sendBatch) {
    const messages: Message[] = [];
    for (let i = from; i < Math.min(items, from + sendBatch); i++) {
      const v = i % vehicles;
      const seq = Math.floor(i / vehicles);
      const time = baseMs + seq * 1_000;
      const data = endpointData({
        vehicleId: vehicleId(v), accountId: 'acc_0001', time, lat: 52.5 + v / 1_000 + seq / 1e6, lon: 13.4 + seq / 1e6, speedKmh: seq % 120,
        headingDeg: (v * 7) % 360, odometerKm: 1_000 + seq / 100, ignition: true, postedSpeedLimitKmh: 50, seq,
      });
      // A unique, rising telemetry offset per origin partition, as the match stage writes (the dispatcher skips repeated origins).
      const origin = { topic: originTopic, partition: v % 6, offset: String(i) };
      const head = { subscriptionId, kind: 'gps' as const, vehicleId: vehicleId(v), seq, recordTimeMs: time, origin };
      messages.push({ key: subscriptionId, value: encodeDeliveryItem(head, JSON.stringify(data)), timestamp: String(time) });
    }
    const [meta] = await producer.send({ topic, acks: -1, messages });
    partition = meta?.partition ?? partition;
  }
  return partition;
}

async function committedOffset(admin: Admin, groupId: string, topic: string, partition: number): Promise<number> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Number(t?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
}

/** `cpu`: the dispatcher's CPU seconds at start, parking done, head delivered, all items received. */
interface Stats { produceMs: number; producedAtMs: number; parkedSeenMs: number; switchMs: number; cpu: number[]; rssParkMiB: number; rssDrainMiB: number }

async function waitParked(admin: Admin, topics: TopicCatalogue, prefix: string, partition: number, startMs: number): Promise<number> {
  const deliveries = topics.get('webhook.deliveries').name;
  const deadline = Date.now() + 120_000 + settings.items;
  let lastPrint = Date.now();
  for (;;) {
    const committed = await committedOffset(admin, `${prefix}dispatcher`, deliveries, partition);
    if (committed >= settings.items) return Date.now();
    if (Date.now() > deadline) throw new Error(`parking did not finish: deliveries committed through ${committed} of ${settings.items}`);
    if (Date.now() - lastPrint > 5_000) {
      lastPrint = Date.now();
      const parked = await highWatermark(admin, topics.get('webhook.parked').name, partition);
      process.stdout.write(`  t=${((Date.now() - startMs) / 1_000).toFixed(0)}s deliveries committed ${fmt(Math.max(0, committed))}, webhook.parked end ${fmt(Number(parked))}\n`);
    }
    await sleep(250);
  }
}

async function waitDrained(receiver: DrainReceiver, pid: number, stats: Stats): Promise<void> {
  const deadline = Date.now() + settings.limitS * 1_000 + settings.items;
  let lastPrint = Date.now();
  while (receiver.items < settings.items) {
    if (receiver.firstOkMs !== 0 && stats.cpu.length === 2) stats.cpu.push(cpuSeconds(pid));
    if (Date.now() > deadline) throw new Error(`drain did not finish: ${receiver.items} of ${settings.items} received`);
    if (Date.now() - lastPrint > 5_000) {
      lastPrint = Date.now();
      process.stdout.write(`  t=+${((Date.now() - stats.switchMs) / 1_000).toFixed(0)}s after the switch: received ${fmt(receiver.items)}${receiver.firstOkMs === 0 ? ' (head not yet retried)' : ''}\n`);
    }
    await sleep(50);
  }
  stats.cpu.push(cpuSeconds(pid));
}

function report(stats: Stats, a: ParkedAudit, r: DrainReceiver, bytes: Map<string, number | null>, ticketCount: number, log: readonly string[]): void {
  const { items } = settings;
  const parkedItems = items - a.headItems;
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  const parkedDisk = bytes.get('webhook.parked') ?? null;
  const deliveriesDisk = bytes.get('webhook.deliveries') ?? null;
  const appendRate = parkedItems / ((a.lastItemMs - a.beginMs) / 1_000);
  out(`produced ${fmt(items)} items to webhook.deliveries in ${fmt(stats.produceMs / 1_000, 1)} s (${fmt(items / (stats.produceMs / 1_000))} items/s)`);
  out(`parking: head ${a.headItems} items (ticket), ${fmt(a.items)} items appended to webhook.parked; begin marker → last item ${fmt((a.lastItemMs - a.beginMs) / 1_000, 1)} s = ${fmt(appendRate)} items/s; ` +
    `first produce → last parked ${fmt((a.lastItemMs - stats.producedAtMs) / 1_000, 1)} s = ${fmt(items / ((a.lastItemMs - stats.producedAtMs) / 1_000))} items/s`);
  out(`  dispatcher CPU while parking ${fmt(stats.cpu[1]! - stats.cpu[0]!, 1)} s (${fmt(((stats.cpu[1]! - stats.cpu[0]!) * 1e6) / items, 1)} µs/item), peak RSS ${fmt(stats.rssParkMiB)} MiB`);
  const diskLine = parkedDisk === null ? 'log dir not found' : `${fmt(parkedDisk)} B on disk = ${fmt(parkedDisk / a.items, 1)} B/parked item`;
  out(`bytes: webhook.parked ${diskLine} (records' key+value+headers ${fmt(a.recordBytes / a.items, 1)} B/item); ` +
    `webhook.deliveries ${deliveriesDisk === null ? '?' : fmt(deliveriesDisk / items, 1)} B/item on disk; retry lanes ${ticketCount} tickets, ${fmt(bytes.get('lanes') ?? 0)} B`);
  const kinds = [...a.kinds].map(([k, n]) => `${k} ${fmt(n)}`).join(', ');
  out(`written once: webhook.parked holds ${kinds}; deliveries offsets 0..${fmt(items - 1)} in head or backlog: missing ${a.missing}, duplicated ${a.duplicates} → ${a.missing === 0 && a.duplicates === 0 && a.items === parkedItems ? 'OK' : 'FAILED'}`);
  const drainS = (r.lastOkMs - r.firstOkMs) / 1_000;
  const drainRate = (r.items - r.headItems) / drainS;
  const sizes = [...r.sizes].sort((x, y) => x - y);
  out(`drain: switch → head delivered ${fmt((r.firstOkMs - stats.switchMs) / 1_000, 1)} s (tier wait), recovered marker +${a.recoveredMs - r.firstOkMs} ms; head → last item ${fmt(drainS, 2)} s = ${fmt(drainRate)} items/s; ` +
    `head → drained marker ${a.drainedMs === 0 ? 'NONE' : `${fmt((a.drainedMs - r.firstOkMs) / 1_000, 2)} s`}; ${fmt(sizes.length)} requests, size p50 ${percentile(sizes, 50)} min ${sizes[0] ?? 0} mean ${fmt((r.items - r.headItems) / Math.max(1, sizes.length), 1)}`);
  out(`  dispatcher CPU while draining ${fmt(stats.cpu[3]! - stats.cpu[2]!, 1)} s = ${fmt((100 * (stats.cpu[3]! - stats.cpu[2]!)) / drainS)} % of one core, ${fmt(((stats.cpu[3]! - stats.cpu[2]!) * 1e6) / (r.items - r.headItems), 1)} µs/item; peak RSS ${fmt(stats.rssDrainMiB)} MiB`);
  const expectedPerVehicle = (v: number): number => Math.floor(items / settings.vehicles) + (v < items % settings.vehicles ? 1 : 0);
  let short = 0;
  for (let v = 0; v < settings.vehicles; v++) short += Math.max(0, expectedPerVehicle(v) - (r.nextSeq.get(vehicleId(v)) ?? 0));
  const ok = r.items === items && r.duplicates === 0 && r.gaps === 0 && short === 0 && r.repeatedIds === 0;
  out(`received once and in order: ${fmt(r.items)} of ${fmt(items)} items, duplicates ${r.duplicates}, gaps ${r.gaps}, short ${short}, repeated webhook-ids ${r.repeatedIds}; 503 answers ${r.refused} → ${ok ? 'OK' : 'FAILED'}`);
  out(`target: >= ${fmt(settings.target)} items/s drained: ${drainRate >= settings.target ? 'met' : 'MISSED'} (${fmt(drainRate)}); each parked item written once: ${a.duplicates === 0 && a.missing === 0 ? 'met' : 'MISSED'}`);
  const odd = log.filter((l) => !l.includes('parking a subscription'));
  if (odd.length > 0) out(`dispatcher warnings/errors (${odd.length}):\n  ${odd.slice(0, 10).join('\n  ')}`);
}

async function cleanUp(admin: Admin, topics: TopicCatalogue, prefix: string, groups: string[]): Promise<void> {
  await admin.deleteTopics({ topics: topics.topics.map((t) => t.name) }).catch(() => undefined);
  await admin.deleteGroups([`${prefix}dispatcher`, `${prefix}dispatcher-retry`, `${prefix}dispatcher-match`, ...groups]).catch(() => undefined);
  const redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  try {
    const keys = await redis.keys(`${prefix}fh:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

async function run(): Promise<void> {
  const prefix = `bench-drain-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const topics = topicCatalogue({ prefix, partitions: { telemetry: 6, webhook: 6, deadletter: 1 } });
  const admin = kafka.admin();
  await admin.connect();
  const receiver = await DrainReceiver.start();
  const producer = kafka.producer(reliableProducerConfig);
  const groups: string[] = [];
  const log: string[] = [];
  let dispatcher: { child: ChildProcess; port: number } | undefined;
  try {
    await createTopics(admin, topics);
    await producer.connect();
    const sub = await subscribe(producer, topics, new SecretBox(parseEncryptionKeys(keys).keys, 'k1'), `http://127.0.0.1:${receiver.port}/hook`);
    dispatcher = await startDispatcher(prefix, keys, log);
    const pid = dispatcher.child.pid as number;
    const stats: Stats = { produceMs: 0, producedAtMs: Date.now(), parkedSeenMs: 0, switchMs: 0, cpu: [cpuSeconds(pid)], rssParkMiB: 0, rssDrainMiB: 0 };
    process.stdout.write(`phase 1: endpoint answers 503; producing ${fmt(settings.items)} items (${settings.vehicles} vehicles, one GPS subscription ${sub.id})\n`);
    const partition = await produceItems(producer, topics, sub.id);
    stats.produceMs = Date.now() - stats.producedAtMs;
    process.stdout.write(`  produced in ${fmt(stats.produceMs / 1_000, 1)} s; waiting for the dispatcher to park them all\n`);
    stats.parkedSeenMs = await waitParked(admin, topics, prefix, partition, stats.producedAtMs);
    stats.cpu.push(cpuSeconds(pid));
    stats.rssParkMiB = peakRssMiB(pid);
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM: the drain's own peak
    } catch {
      // not permitted: the drain's figure is the whole run's peak
    }
    process.stdout.write(`phase 2: endpoint answers 200 (parking seen complete ${fmt((stats.parkedSeenMs - stats.producedAtMs) / 1_000, 1)} s after the first produce)\n`);
    stats.switchMs = Date.now();
    receiver.status = 200;
    await waitDrained(receiver, pid, stats);
    stats.rssDrainMiB = peakRssMiB(pid);
    // begin + backlog + recovered + drained: wait (a bounded while) for the drained marker.
    const parkedTopic = topics.get('webhook.parked').name;
    const expectedEnd = BigInt(settings.items - receiver.headItems + 3);
    for (let i = 0; i < 300 && (await highWatermark(admin, parkedTopic, partition)) < expectedEnd; i++) await sleep(100);
    dispatcher.child.kill('SIGTERM');
    await new Promise((r) => dispatcher?.child.once('exit', r));
    dispatcher = undefined;
    const audit = await auditParked(kafka, admin, topics, partition, groups, settings.items);
    const { bytes, tickets } = await measureBytes(admin, topics, partition, kafkaDataDir);
    report(stats, audit, receiver, bytes, tickets, log);
  } finally {
    if (dispatcher !== undefined) dispatcher.child.kill('SIGTERM');
    await producer.disconnect().catch(() => undefined);
    await receiver.close();
    await cleanUp(admin, topics, prefix, groups);
    await admin.disconnect();
  }
}

process.stdout.write(`drain bench: ${fmt(settings.items)} items, ${settings.vehicles} vehicles, 7-day policy compressed to ${settings.limitS} s\n`);
run().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
