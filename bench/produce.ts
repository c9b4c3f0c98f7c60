import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { topicCatalogue, valueSubject } from '../schemas/topics.js';
import type { TopicCatalogue } from '../schemas/topics.js';
import type { Compression } from '../services/producer/config.js';
import { loadConfig } from '../services/producer/config.js';
import { TelemetryProducer } from '../services/producer/telemetry-producer.js';
import { validateBatch, validateGpsPoint } from '../services/producer/telemetry-validator.js';
import { loadAvroSchema } from '../services/shared/avro-schema-files.js';
import { adminOf, createKafkaClient } from '../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../services/shared/logger.js';
import { SchemaRegistryClient } from '../services/shared/schema-registry-client.js';
import { applyTopicCatalogue } from '../services/topics/apply-topic-catalogue.js';
import { gpsFixtures } from './gps-fixtures.js';
import type { GpsPoint } from '../schemas/telemetry-records.js';

/**
 * `npm run bench:produce [-- --records 300000 --batch 5000 --depth 4 --compression none,gzip]`
 * Producer-library throughput for GPS points with 1, 100 and 2,000 vehicles against the
 * configured broker (default: the local single broker), on fresh uniquely named topics
 * that are deleted afterwards. Prints figures; it is not a test.
 */
const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    batch: { type: 'string', default: '5000' },
    depth: { type: 'string', default: '4' },
    vehicles: { type: 'string', default: '1,100,2000' },
    compression: { type: 'string', default: 'none,gzip' },
    'request-kib': { type: 'string', default: '256' },
  },
});
const records = Number(opts.records);
const batchSize = Number(opts.batch);
const depth = Number(opts.depth);
const vehicleCounts = opts.vehicles.split(',').map(Number);
const compressions = opts.compression.split(',') as Compression[];
const maxRequestBytes = Number(opts['request-kib']) * 1_024;

const config = loadConfig(process.env);
const logger = createLogger('bench', { level: 'error' });
const registry = new SchemaRegistryClient({ url: config.schemaRegistryUrl, clientId: 'fleethook-bench' });
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** CPU seconds the broker process has used so far (Linux /proc), if we can find it. */
function brokerCpuS(): number | undefined {
  try {
    const { pid } = JSON.parse(readFileSync('.stack/run/kafka.pid.json', 'utf8')) as { pid: number };
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Bytes of record batches the broker appended for `topic`: the on-the-wire batch bytes
 * (the broker stores producer batches as sent, compression.type=producer).
 */
function logBytes(topic: string): number {
  const dir = process.env.FLEETHOOK_BENCH_LOG_DIR ?? '.stack/data/kafka';
  try {
    return readdirSync(dir)
      .filter((d) => d.startsWith(`${topic}-`))
      .flatMap((d) => readdirSync(join(dir, d)).filter((f) => f.endsWith('.log')).map((f) => statSync(join(dir, d, f)).size))
      .reduce((a, b) => a + b, 0);
  } catch {
    return Number.NaN;
  }
}

async function encodeOnly(vehicles: number): Promise<void> {
  const points = gpsFixtures(50_000, vehicles);
  const spec = topicCatalogue().get('telemetry.gps');
  const subject = valueSubject(`bench-encode-${Date.now()}.${spec.id}`);
  const encoder = await registry.encoderFor<unknown>(subject, loadAvroSchema('gps-point.avsc'), { autoRegister: true });
  let t = performance.now();
  validateBatch(points, validateGpsPoint, 'gps');
  const validateMs = performance.now() - t;
  t = performance.now();
  let bytes = 0;
  for (const p of points) bytes += encoder.encode(p).length;
  const encodeMs = performance.now() - t;
  t = performance.now();
  for (const p of points.slice(0, 10_000)) await registry.registry.encode(encoder.schemaId, p);
  const registryEncodeMs = ((performance.now() - t) * points.length) / 10_000;
  console.log(
    `CPU-only, ${fmt(points.length)} points: validate ${fmt((points.length / validateMs) * 1_000)}/s, ` +
      `avsc encode + header ${fmt((points.length / encodeMs) * 1_000)}/s, ` +
      `registry.encode() per record ${fmt((points.length / registryEncodeMs) * 1_000)}/s; value ${(bytes / points.length).toFixed(1)} bytes/record`,
  );
}

async function scenario(catalogue: TopicCatalogue, vehicles: number, compression: Compression): Promise<void> {
  const points = gpsFixtures(records, vehicles);
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-bench', logger });
  const producer = new TelemetryProducer(kafka, registry, catalogue, { compression, autoRegisterSchemas: true, maxRequestBytes });
  await producer.connect();
  try {
    await measure(producer, catalogue, points, vehicles, compression);
  } finally {
    await producer.close();
  }
}

async function measure(producer: TelemetryProducer, catalogue: TopicCatalogue, points: GpsPoint[], vehicles: number, compression: Compression): Promise<void> {
  await producer.publishGps(points.slice(0, 100)); // warm up metadata and connections
  const logBytesBefore = logBytes(catalogue.get('telemetry.gps').name);
  let valueBytes = 0;
  const cpuBefore = process.cpuUsage();
  const brokerBefore = brokerCpuS();
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < points.length; i += batchSize) {
    const p = producer.publishGps(points.slice(i, i + batchSize)).then((r) => {
      valueBytes += r.valueBytes;
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= depth) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - started) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  const brokerAfter = brokerCpuS();
  const wireBytes = logBytes(catalogue.get('telemetry.gps').name) - logBytesBefore;
  const brokerCpu = brokerBefore === undefined || brokerAfter === undefined ? 'n/a' : `${((brokerAfter - brokerBefore) / elapsedS * 100).toFixed(0)}%`;
  console.log(
    `${String(vehicles).padStart(5)} vehicles  ${compression.padEnd(4)}  ${fmt(records / elapsedS).padStart(8)} records/s  ` +
      `value ${(valueBytes / records).toFixed(1)} B/rec  wire ${(wireBytes / records).toFixed(1)} B/rec  ` +
      `client CPU ${(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100).toFixed(0)}%  broker CPU ${brokerCpu}  (${elapsedS.toFixed(2)} s)`,
  );
}

async function main(): Promise<void> {
  const prefix = `bench-${Date.now().toString(36)}.`;
  const full = topicCatalogue({ prefix });
  const catalogue: TopicCatalogue = { ...full, topics: full.topics.filter((t) => t.group === 'telemetry') };
  const admin = new Kafka({ clientId: 'fleethook-bench-admin', brokers: [...config.kafkaBrokers], logLevel: logLevel.WARN }).admin();
  await admin.connect();
  console.log(`broker ${config.kafkaBrokers.join(',')}; ${fmt(records)} GPS records per run, ${fmt(batchSize)} per publish call, ` +
    `${depth} calls in flight, requests ≤ ${opts['request-kib']} KiB, telemetry.gps with ${catalogue.get('telemetry.gps').partitions} partitions, acks=all, idempotent`);
  try {
    await applyTopicCatalogue(adminOf(admin), catalogue, 1);
    await encodeOnly(100);
    for (const compression of compressions) {
      for (const vehicles of vehicleCounts) await scenario(catalogue, vehicles, compression);
    }
  } finally {
    await admin.deleteTopics({ topics: catalogue.topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
