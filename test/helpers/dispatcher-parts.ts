import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { RecordProducer, OutgoingRecord, WrittenRecords } from '../../services/shared/kafka/kafka-port.js';
import { decodeFailureEvent } from '../../schemas/failure-event.js';
import type { FailureEvent } from '../../schemas/failure-event.js';
import { topicCatalogue } from '../../schemas/topics.js';
import type { TopicCatalogue } from '../../schemas/topics.js';
import type { ClosedBatch, PendingItem } from '../../services/dispatcher/deliver/batch-accumulator.js';
import type { BatchDeliveryDeps } from '../../services/dispatcher/deliver/deliver-batch.js';
import { decodeDeliveryItem, encodeDeliveryItem } from '../../services/dispatcher/delivery-item.js';
import { DeliveryStatusRecorder } from '../../services/dispatcher/deliver/delivery-status-recorder.js';
import { createDispatcherMetrics } from '../../services/dispatcher/dispatcher-metrics.js';
import type { DispatcherMetrics } from '../../services/dispatcher/dispatcher-metrics.js';
import { OpenedSubscriptions } from '../../services/dispatcher/deliver/opened-subscriptions.js';
import { ParkingIo } from '../../services/dispatcher/parking/parking-io.js';
import { retrySchedule } from '../../services/dispatcher/retry/retry-policy.js';
import { attemptLogKey, decodeLoggedAttempt, deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import type { LoggedAttempt } from '../../services/shared/delivery-status-keys.js';
import { FailureEventEmitter } from '../../services/shared/failures/failure-event-emitter.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import type { Logger } from '../../services/shared/logger.js';
import { SecretBox, parseEncryptionKeys } from '../../services/shared/secret-box.js';
import { AddressAllowList } from '../../services/shared/ssrf/address-allow-list.js';
import { createGuardedAgent } from '../../services/shared/ssrf/guarded-agent.js';
import { SsrfGuard } from '../../services/shared/ssrf/ssrf-guard.js';
import { sealSubscription } from '../../services/shared/subscriptions/seal-subscription.js';
import { initialSigningSecrets } from '../../services/shared/subscriptions/signing-secrets.js';
import { SubscriptionCatalogue } from '../../services/shared/subscriptions/subscription-catalogue.js';
import { newSubscriptionId } from '../../services/shared/subscriptions/subscription-ids.js';
import type { StoredSubscription, Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { SubscriptionWriter } from '../../services/shared/subscriptions/subscription-writer.js';
import { generateSigningSecret } from '../../services/shared/webhook-signature.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { waitFor } from './wait-for.js';
import { noMessageLog } from '../../services/shared/message-log/message-log-writer.js';

/**
 * The dispatcher's delivery parts, built the way `dispatcher-app.ts` builds them, for tests
 * of one module at a time: the SSRF-guarded undici agent (loopback allowed, as an operator
 * would for a local receiver), secrets sealed with a real key, the status recorder on real
 * Redis under a key prefix of its own, and the dispatcher's metrics.
 */
export class DeliveryParts {
  readonly redisPrefix = `${uniqueName('parts')}:`;
  readonly redis = new Redis(stackEnv.redisUrl, { maxRetriesPerRequest: 2 });
  readonly box = new SecretBox(parseEncryptionKeys(`k1:${randomBytes(32).toString('base64')}`).keys, 'k1');
  readonly logLines: string[] = [];
  readonly logger: Logger = createLogger('dispatcher', { level: 'info', write: (l) => this.logLines.push(l) });
  readonly agent = createGuardedAgent(new SsrfGuard(AddressAllowList.parse(['127.0.0.0/8']).allowList), { connectTimeoutMs: 2_000, keepAliveTimeoutMs: 30_000, connectionsPerOrigin: 8 });
  readonly recorder = new DeliveryStatusRecorder(this.redis, this.redisPrefix, this.logger);
  readonly metrics: DispatcherMetrics = createDispatcherMetrics({ defaultMetrics: false });
  readonly opened = new OpenedSubscriptions(this.box);

  deps(lookup: (id: string) => StoredSubscription | undefined, overrides: Partial<BatchDeliveryDeps> = {}): BatchDeliveryDeps {
    return {
      agent: this.agent, lookup, opened: this.opened, recorder: this.recorder, messageLog: noMessageLog, metrics: this.metrics, logger: this.logger,
      requestTimeoutMs: 2_000, maxResponseBytes: 4_096, quickRetryDelaysMs: [50, 100, 200], maxRetryDelayMs: 1_000, ...overrides,
    };
  }

  /**
   * The subscription's Redis status hash and attempt log (newest first), read as one snapshot:
   * the recorder writes an attempt's log entry and hash fields in one pipeline at the end of
   * the event-loop turn, so two separate reads could straddle it.
   */
  async status(subscriptionId: string): Promise<{ fields: Record<string, string>; attempts: LoggedAttempt[] }> {
    const rows = await this.redis.multi().hgetall(deliveryStatusKey(this.redisPrefix, subscriptionId)).lrange(attemptLogKey(this.redisPrefix, subscriptionId), 0, -1).exec();
    const [[fieldsErr, fields], [rawErr, raw]] = rows as [[Error | null, Record<string, string>], [Error | null, string[]]];
    if (fieldsErr !== null || rawErr !== null) throw fieldsErr ?? rawErr;
    return { fields, attempts: raw.map((r) => decodeLoggedAttempt(r)).filter((a): a is LoggedAttempt => a !== null) };
  }

  async close(): Promise<void> {
    const keys = await this.redis.keys(`${this.redisPrefix}*`);
    if (keys.length > 0) await this.redis.del(...keys);
    await this.agent.close();
    this.redis.disconnect();
  }
}

/** A subscription with plaintext secrets (what the endpoint verifies with) and the sealed copy the catalogue holds. */
export function testSubscription(box: SecretBox, spec: Partial<Subscription> & { url: string }): { plain: Subscription; stored: StoredSubscription } {
  const now = new Date().toISOString();
  const plain: Subscription = {
    id: newSubscriptionId(), accountId: 'acc_parts', state: 'active', name: 'parts test', source: { kind: 'gps' }, vehicleFilter: null,
    contentType: 'application/json', batching: { maxItems: 100, maxWaitMs: 100 }, auth: { type: 'none' }, alertEmails: ['ops@example.com'],
    retryPolicy: 'standard-7d', signing: initialSigningSecrets(generateSigningSecret()), verifiedAt: now, createdAt: now, updatedAt: now, revision: 1,
    ...spec,
  };
  return { plain, stored: sealSubscription(box, plain) };
}

/** GPS items of one vehicle as read from `webhook.deliveries` (the real wire format), one per offset. */
export function gpsItems(subscriptionId: string, vehicleId: string, offsets: readonly number[], partition = 0): PendingItem[] {
  return offsets.map((offset, i) => {
    const seq = 1_000 + offset;
    const dataJson = JSON.stringify({ vehicleId, accountId: 'acc_parts', time: new Date(Date.now() - 1_000).toISOString(), lat: 52.5, lon: 13.4, seq, i });
    const value = encodeDeliveryItem({
      subscriptionId, kind: 'gps', vehicleId, seq, recordTimeMs: Date.now() - 1_000,
      origin: { topic: 'telemetry.gps', partition: 0, offset: String(5_000 + offset) },
    }, dataJson);
    const decoded = decodeDeliveryItem(value);
    if (decoded.kind !== 'item') throw new Error(decoded.reason);
    return { item: decoded.item, partition, offset, value };
  });
}

export function batchOf(subscriptionId: string, items: readonly PendingItem[]): ClosedBatch {
  return { subscriptionId, kind: 'gps', items, reason: 'time' };
}

/** One `webhook.*` send of the producer, in the order the sends completed. */
export interface SentRecords {
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly keys: readonly string[];
}

/**
 * The real producer, with every completed `send` noted in `log` (instrumentation, not a
 * stand-in: each write still goes to the broker). Lets a test check the order of writes
 * that land on different topics.
 */
export function recordingProducer(inner: RecordProducer, log: SentRecords[]): RecordProducer {
  return {
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    sendBatch: (topics, options) => inner.sendBatch(topics, options),
    send: async (topic: string, messages: readonly OutgoingRecord[]): Promise<WrittenRecords[]> => {
      const meta = await inner.send(topic, messages);
      log.push({ topic, partitions: messages.map((m) => m.partition ?? -1), keys: messages.map((m) => String(m.key ?? '')) });
      return meta;
    },
  };
}

export const webhookPartitions = 2;

/**
 * The parking parts on the real broker: every `webhook.*` topic under a unique prefix
 * (two partitions), a real catalogue reading its own subscriptions topic, the failure
 * event emitter and ParkingIo on one idempotent producer (recorded, see above), with the
 * retry schedule at real-world timings unless told otherwise.
 */
export class ParkingParts {
  readonly kafka = new Kafka({ clientId: 'parking-parts-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
  readonly prefix = `${uniqueName('pkp')}.`;
  readonly topics: TopicCatalogue = topicCatalogue({ prefix: this.prefix, partitions: { webhook: webhookPartitions } });
  readonly sent: SentRecords[] = [];
  readonly delivery = new DeliveryParts();
  readonly client = kafkaClientOf(this.kafka);
  readonly rawProducer: RecordProducer = this.client.producer();
  readonly producer: RecordProducer = recordingProducer(this.rawProducer, this.sent);
  readonly catalogue = new SubscriptionCatalogue({ kafka: this.client, topic: this.topics.get('webhook.subscriptions').name, logger: this.delivery.logger, groupIdPrefix: `${this.prefix}catalogue` });
  readonly writer = new SubscriptionWriter(this.producer, this.topics.get('webhook.subscriptions').name);
  readonly schedule: ReturnType<typeof retrySchedule>;
  readonly parking: ParkingIo;

  constructor(timeScale = 1) {
    this.schedule = retrySchedule(timeScale);
    this.parking = new ParkingIo({
      producer: this.producer, catalogue: this.catalogue, recorder: this.delivery.recorder, schedule: this.schedule, logger: this.delivery.logger,
      topics: { parked: this.name('webhook.parked'), audit: this.name('webhook.audit'), lane: (id) => this.name(id) },
      writer: this.writer, events: new FailureEventEmitter(this.producer, this.name('webhook.failures')),
    });
  }

  name(id: string): string {
    return this.topics.get(id).name;
  }

  get webhookTopicNames(): string[] {
    return this.topics.topics.filter((t) => t.group === 'webhook').map((t) => t.name);
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const webhook = this.topics.topics.filter((t) => t.group === 'webhook');
      // A fresh topic's leader can take a moment to appear in metadata; creating again is a no-op.
      await waitFor(async () => {
        await admin.createTopics({
          waitForLeaders: true,
          topics: webhook.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1, configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })) })),
        });
        for (const t of webhook) await admin.fetchTopicOffsets(t.name);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 300, what: 'test topics with leaders' });
    } finally {
      await admin.disconnect();
    }
    await this.rawProducer.connect();
    await this.catalogue.start();
  }

  /** Writes a subscription to the catalogue topic and waits until the catalogue has applied it. */
  async put(stored: StoredSubscription): Promise<void> {
    const at = await new SubscriptionWriter(this.rawProducer, this.name('webhook.subscriptions')).put(stored);
    await this.catalogue.waitForOffset(at.partition, at.offset, 20_000);
  }

  async remove(id: string): Promise<void> {
    const at = await new SubscriptionWriter(this.rawProducer, this.name('webhook.subscriptions')).delete(id);
    await this.catalogue.waitForOffset(at.partition, at.offset, 20_000);
  }

  /** High-water mark of every partition of every `webhook.*` topic: compare two to prove nothing was written. */
  async ends(): Promise<Map<string, string>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const out = new Map<string, string>();
      for (const name of this.webhookTopicNames) for (const p of await admin.fetchTopicOffsets(name)) out.set(`${name}/${p.partition}`, p.high);
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    await this.catalogue.close();
    await this.rawProducer.disconnect().catch(() => undefined);
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: this.webhookTopicNames }).catch(() => undefined);
    await admin.disconnect();
    await this.delivery.close();
  }
}

export function decodeEvents(values: readonly (Buffer | null)[]): FailureEvent[] {
  return values.map((v) => {
    const d = decodeFailureEvent(v);
    if (d.kind !== 'ok') throw new Error(`bad failure event: ${d.reason}`);
    return d.event;
  });
}
