import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Producer } from 'kafkajs';
import { topicCatalogue } from '../../schemas/topics.js';
import type { TopicCatalogue } from '../../schemas/topics.js';
import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { loadConfig } from '../../services/dispatcher/config.js';
import { startDispatcherApp } from '../../services/dispatcher/dispatcher-app.js';
import type { DispatcherApp } from '../../services/dispatcher/dispatcher-app.js';
import { TelemetryProducer } from '../../services/producer/telemetry-producer.js';
import { adminOf, kafkaClientOf, producerOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { SecretBox, parseEncryptionKeys } from '../../services/shared/secret-box.js';
import { sealSubscription } from '../../services/shared/subscriptions/seal-subscription.js';
import { initialSigningSecrets } from '../../services/shared/subscriptions/signing-secrets.js';
import { newSubscriptionId } from '../../services/shared/subscriptions/subscription-ids.js';
import type { Subscription, SubscriptionSpec } from '../../services/shared/subscriptions/subscription-types.js';
import { SubscriptionWriter } from '../../services/shared/subscriptions/subscription-writer.js';
import { applyTopicCatalogue } from '../../services/topics/apply-topic-catalogue.js';
import { generateSigningSecret } from '../../services/shared/webhook-signature.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { waitFor } from './wait-for.js';

/** A dispatcher running as a child process (`tsx services/dispatcher/main.ts`), so it can be SIGKILLed. */
export interface DispatcherProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly port: number;
}

/** Where the harness's topics live; the defaults are the single-broker stack. */
export interface HarnessKafkaOptions {
  /** Bootstrap brokers for the harness, its in-process dispatchers and child processes. */
  readonly brokers?: readonly string[];
  /** Replication factor of the test topics (min.insync.replicas follows, see plan-topic-changes). */
  readonly replicationFactor?: number;
}

/**
 * Everything a dispatcher integration test needs on the real stack: a topic set of its
 * own (unique prefix, few partitions), sealed subscriptions written to the catalogue
 * topic, a telemetry producer, and dispatchers in-process or as child processes. Loopback
 * endpoints are allowed explicitly, as an operator would for a local receiver.
 */
export class DispatcherHarness {
  readonly kafka: Kafka;
  readonly topics: TopicCatalogue;
  readonly env: Record<string, string>;
  readonly logLines: string[] = [];
  readonly apps: DispatcherApp[] = [];
  readonly processes: DispatcherProcess[] = [];
  private readonly box: SecretBox;
  private readonly producer: Producer;
  private telemetry: TelemetryProducer | null = null;

  private constructor(readonly prefix: string, overrides: Record<string, string>, brokers: readonly string[]) {
    this.kafka = new Kafka({ clientId: 'dispatcher-test', brokers: [...brokers], logLevel: logLevel.NOTHING });
    this.producer = this.kafka.producer(reliableProducerConfig);
    this.topics = topicCatalogue({ prefix, partitions: { telemetry: 3, webhook: 4, deadletter: 1 } });
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    this.box = new SecretBox(parseEncryptionKeys(keys).keys, 'k1');
    this.env = {
      FLEETHOOK_KAFKA_BROKERS: brokers.join(','),
      FLEETHOOK_SCHEMA_REGISTRY_URL: stackEnv.registryUrl,
      FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
      FLEETHOOK_REDIS_KEY_PREFIX: `${prefix}fh:`,
      FLEETHOOK_TOPIC_PREFIX: prefix,
      FLEETHOOK_SECRET_KEYS: keys,
      FLEETHOOK_DISPATCHER_GROUP_ID: `${prefix}dispatcher`,
      FLEETHOOK_DISPATCHER_HOST: '127.0.0.1',
      FLEETHOOK_DISPATCHER_PORT: '0',
      FLEETHOOK_DISPATCHER_ALLOW_ADDRESSES: '127.0.0.0/8,::1',
      FLEETHOOK_DISPATCHER_QUICK_RETRY_DELAYS_MS: '50,100,200',
      FLEETHOOK_DISPATCHER_MAX_RETRY_DELAY_MS: '1000',
      FLEETHOOK_DISPATCHER_COMMIT_INTERVAL_MS: '200',
      FLEETHOOK_DISPATCHER_SHUTDOWN_GRACE_MS: '1000',
      FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '8000',
      FLEETHOOK_DISPATCHER_LOG_LEVEL: 'warn',
      ...overrides,
    };
  }

  static async create(overrides: Record<string, string> = {}, kafkaOptions: HarnessKafkaOptions = {}): Promise<DispatcherHarness> {
    const h = new DispatcherHarness(`${uniqueName('dsp')}.`, overrides, kafkaOptions.brokers ?? stackEnv.kafkaBrokers);
    const replicationFactor = kafkaOptions.replicationFactor ?? 1;
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      // A fresh topic's leader can take a moment to appear in metadata; applying again is idempotent.
      await waitFor(() => applyTopicCatalogue(adminOf(admin), h.topics, replicationFactor).then(() => true), { timeoutMs: 30_000, intervalMs: 500, what: 'test topics' });
      await waitFor(async () => {
        for (const t of h.topics.topics) await admin.fetchTopicOffsets(t.name);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 300, what: 'leaders of the test topics' });
    } finally {
      await admin.disconnect();
    }
    await h.producer.connect();
    return h;
  }

  /** Publishes telemetry through the project's producer library (registers the schemas on first use). */
  async publish(batch: { gps?: GpsPoint[]; dtc?: Dtc[]; events?: VehicleEvent[] }): Promise<void> {
    if (this.telemetry === null) {
      this.telemetry = new TelemetryProducer(kafkaClientOf(this.kafka), new SchemaRegistryClient({ url: stackEnv.registryUrl }), this.topics, { compression: 'none', autoRegisterSchemas: true });
      await this.telemetry.connect();
    }
    await this.telemetry.publish(batch);
  }

  /** Raw bytes on a telemetry topic (poison records). */
  async publishRaw(topicId: string, key: string, value: Buffer): Promise<void> {
    await this.producer.send({ topic: this.topics.get(topicId).name, acks: -1, messages: [{ key, value }] });
  }

  /** Writes an active subscription (sealed) to the catalogue topic; returns it with plaintext secrets. */
  async subscribe(spec: Partial<SubscriptionSpec<string>> & { url: string; accountId?: string; id?: string }): Promise<Subscription> {
    const now = new Date().toISOString();
    const sub: Subscription = {
      id: spec.id ?? newSubscriptionId(), accountId: spec.accountId ?? 'acc_alpha', state: 'active', name: 'test', source: { kind: 'gps' }, vehicleFilter: null,
      contentType: 'application/json', batching: { maxItems: 500, maxWaitMs: 200 }, auth: { type: 'none' }, alertEmails: [], retryPolicy: 'standard-7d',
      signing: initialSigningSecrets(generateSigningSecret()), verifiedAt: now, createdAt: now, updatedAt: now, revision: 1,
      ...spec,
    };
    await new SubscriptionWriter(producerOf(this.producer), this.topics.get('webhook.subscriptions').name).put(sealSubscription(this.box, sub));
    // Records published before a dispatcher knows the subscription are (rightly) not matched to it.
    await waitFor(() => this.apps.every((a) => a.catalogue.get(sub.id)?.revision === sub.revision), { what: `catalogue to apply ${sub.id}` });
    return sub;
  }

  /** Writes a whole subscription (e.g. a state change) and waits until every in-process dispatcher applied it. */
  async put(sub: Subscription): Promise<void> {
    await new SubscriptionWriter(producerOf(this.producer), this.topics.get('webhook.subscriptions').name).put(sealSubscription(this.box, sub));
    await waitFor(() => this.apps.every((a) => a.catalogue.get(sub.id)?.revision === sub.revision), { what: `catalogue to apply ${sub.id}` });
  }

  async startInProcess(overrides: Record<string, string> = {}): Promise<DispatcherApp> {
    // DEBUG_DISPATCHER_LEVEL=info (or debug) keeps more of the in-process dispatcher's log for a failing test.
    const level = (process.env.DEBUG_DISPATCHER_LEVEL ?? 'warn') as 'debug' | 'info' | 'warn' | 'error';
    const logger = createLogger('dispatcher', { level, write: (l) => this.logLines.push(l) });
    const app = await startDispatcherApp({ config: loadConfig({ ...this.env, ...overrides }), kafka: kafkaClientOf(this.kafka), logger });
    this.apps.push(app);
    return app;
  }

  async startProcess(overrides: Record<string, string> = {}): Promise<DispatcherProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/dispatcher/main.ts'], {
      env: { ...process.env, ...this.env, ...overrides }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString('utf8')));
    const port = await waitFor(() => {
      const m = /"msg":"dispatcher ready","port":(\d+)/.exec(output.join(''));
      if (child.exitCode !== null) throw new Error(`dispatcher exited: ${output.join('')}`);
      return m ? Number(m[1]) : undefined;
    }, { timeoutMs: 60_000, what: 'dispatcher child to start' });
    const proc = { child, output, port };
    this.processes.push(proc);
    return proc;
  }

  /** Waits until the dispatcher group's committed offset of a `webhook.deliveries` partition is `offset`. */
  async waitForDeliveriesCommit(partition: number, offset: number, timeoutMs = 30_000): Promise<void> {
    const topic = this.topics.get('webhook.deliveries').name;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await waitFor(async () => {
        const [committed] = await admin.fetchOffsets({ groupId: this.env.FLEETHOOK_DISPATCHER_GROUP_ID as string, topics: [topic] });
        return committed?.partitions.find((p) => p.partition === partition)?.offset === String(offset);
      }, { timeoutMs, what: `deliveries partition ${partition} committed at offset ${offset}` });
    } finally {
      await admin.disconnect();
    }
  }

  kill(proc: DispatcherProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return new Promise((resolve) => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return resolve();
      proc.child.once('exit', () => resolve());
      proc.child.kill(signal);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.kill(p, 'SIGKILL')));
    await Promise.all(this.apps.map((a) => a.close()));
    await this.telemetry?.close();
    await this.producer.disconnect();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: this.topics.topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** A GPS point with a per-vehicle sequence number the tests assert order on. */
export function gpsPoint(vehicleId: string, seq: number, accountId = 'acc_alpha'): GpsPoint {
  return { vehicleId, accountId, time: Date.now(), lat: 52.5, lon: 13.4, speedKmh: 40, headingDeg: 90, odometerKm: 1_000 + seq, ignition: true, seq };
}

/** The partition Kafka's murmur2 partitioner picks for `key` (what the dispatcher's producer does). */
export function partitionOf(key: string, numPartitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: numPartitions }, (_, i) => ({
    partitionId: i, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0,
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

/** A fresh subscription id whose deliveries land on `partition` of `numPartitions`. */
export function subscriptionIdOnPartition(partition: number, numPartitions: number): string {
  for (;;) {
    const id = newSubscriptionId();
    if (partitionOf(id, numPartitions) === partition) return id;
  }
}
