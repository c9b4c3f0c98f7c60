import type { Consumer, EachBatchPayload, Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import type { TopicCatalogue } from '../../schemas/topics.js';
import { acksAll, reliableProducerConfig } from '../shared/kafka-client.js';
import type { Logger } from '../shared/logger.js';
import type { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import { encodeDeliveryItem } from './delivery-item.js';
import type { ItemKind } from './delivery-item.js';
import type { DispatcherMetrics } from './dispatcher-metrics.js';
import { SubscriptionMatcher } from './subscription-matcher.js';
import { checkTelemetryRecord, endpointData, kindByTopicId } from './telemetry-record.js';
import type { TelemetryDecoder } from './telemetry-decoder.js';

export interface FanOutOptions {
  readonly kafka: Kafka;
  readonly topics: TopicCatalogue;
  readonly groupId: string;
  readonly catalogue: SubscriptionCatalogue;
  readonly decoder: TelemetryDecoder;
  readonly metrics: DispatcherMetrics;
  readonly logger: Logger;
  readonly sessionTimeoutMs: number;
}

/**
 * Match and re-key: reads `telemetry.*` as one consumer group, decodes each record
 * through the registry, matches it against the in-memory catalogue and writes one item
 * per matching subscription to `webhook.deliveries`, keyed by subscription id. Records
 * that cannot be decoded go to `telemetry.deadletter` with the reason in headers.
 * At-least-once: a batch's telemetry offsets are resolved only after every record it
 * produced is acknowledged by all in-sync replicas (idempotent producer), so a crash
 * repeats re-keying rather than losing it. (kafkajs transactions are not used: the
 * stable webhook-id makes a repeated item harmless to the endpoint.)
 */
export class FanOutConsumer {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private matcher: SubscriptionMatcher | null = null;
  private readonly kindByTopic = new Map<string, ItemKind>();
  private readonly deliveriesTopic: string;
  private readonly deadLetterTopic: string;
  private unsubscribe: (() => void) | null = null;
  private joined = false;

  constructor(private readonly o: FanOutOptions) {
    this.consumer = o.kafka.consumer({
      groupId: o.groupId, allowAutoTopicCreation: false, sessionTimeout: o.sessionTimeoutMs, heartbeatInterval: Math.floor(o.sessionTimeoutMs / 10),
    });
    this.producer = o.kafka.producer(reliableProducerConfig);
    for (const [id, kind] of Object.entries(kindByTopicId)) this.kindByTopic.set(o.topics.get(id).name, kind);
    this.deliveriesTopic = o.topics.get('webhook.deliveries').name;
    this.deadLetterTopic = o.topics.get('telemetry.deadletter').name;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
  }

  get isJoined(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.catalogue.onChange(() => (this.matcher = null));
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.kindByTopic.keys()], fromBeginning: false });
    await this.consumer.run({
      autoCommit: true, autoCommitInterval: 1_000, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 6,
      eachBatch: (p) => this.handleBatch(p),
    });
  }

  /** Stops fetching, waits for the batch in hand (its offsets commit on the way out), disconnects. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.consumer.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  private currentMatcher(): SubscriptionMatcher {
    this.matcher ??= new SubscriptionMatcher(this.o.catalogue.list());
    return this.matcher;
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const kind = this.kindByTopic.get(batch.topic);
    if (kind === undefined || batch.messages.length === 0) return;
    const out: Message[] = [];
    const dead: Message[] = [];
    let lastHandled: string | null = null;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      const decoded = await this.o.decoder.decode(message.value);
      const checked = decoded.kind === 'decoded' ? checkTelemetryRecord(kind, decoded.value) : { kind: 'invalid' as const, reason: decoded.reason };
      if (checked.kind === 'invalid') {
        this.o.logger.warn('dead-lettering an undecodable telemetry record', { ...origin, reason: checked.reason });
        dead.push(deadLetter(message, origin, checked.reason));
        lastHandled = message.offset;
        continue;
      }
      const { record } = checked.value;
      let dataJson: string | undefined;
      for (const subscriptionId of this.currentMatcher().match(checked.value)) {
        dataJson ??= JSON.stringify(endpointData(record));
        const head = { subscriptionId, kind, vehicleId: record.vehicleId, seq: record.seq ?? null, recordTimeMs: record.time, origin };
        out.push({ key: subscriptionId, value: encodeDeliveryItem(head, dataJson), timestamp: String(record.time) });
      }
      lastHandled = message.offset;
    }
    const topicMessages: TopicMessages[] = [];
    if (out.length > 0) topicMessages.push({ topic: this.deliveriesTopic, messages: out });
    if (dead.length > 0) topicMessages.push({ topic: this.deadLetterTopic, messages: dead });
    if (topicMessages.length > 0) await this.producer.sendBatch({ topicMessages, acks: acksAll });
    // Resolved only once everything produced for these records is acknowledged.
    if (lastHandled !== null) resolveOffset(lastHandled);
    this.o.metrics.recordsConsumed.inc({ topic: stripPrefix(batch.topic, this.o.topics.prefix) }, batch.messages.length);
    if (dead.length > 0) this.o.metrics.deadLettered.inc({ topic: stripPrefix(batch.topic, this.o.topics.prefix) }, dead.length);
    if (out.length > 0) this.o.metrics.itemsMatched.inc({ kind }, out.length);
    await heartbeat();
  }
}

function deadLetter(message: { key: Buffer | null; value: Buffer | null }, origin: { topic: string; partition: number; offset: string }, reason: string): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      'fleethook-deadletter-reason': reason,
      'fleethook-origin-topic': origin.topic,
      'fleethook-origin-partition': String(origin.partition),
      'fleethook-origin-offset': origin.offset,
    },
  };
}

function stripPrefix(topic: string, prefix: string): string {
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : topic;
}
