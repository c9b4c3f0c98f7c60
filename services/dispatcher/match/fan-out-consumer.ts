import type { TopicCatalogue } from '../../../schemas/topics.js';
import { errorMessage } from '../../shared/errors.js';
import type { BatchContext, ConsumedRecord, FetchedBatch, KafkaClient, OutgoingRecord, RecordProducer } from '../../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../../shared/kafka/partitioned-consumer.js';
import { classifyProduceError } from '../../shared/kafka/produce-error.js';
import { batchOverheadBytes, chunkBySize } from '../../shared/kafka-message-size.js';
import type { Logger } from '../../shared/logger.js';
import type { SubscriptionCatalogue } from '../../shared/subscriptions/subscription-catalogue.js';
import type { SupervisionObserver, SupervisionPolicy, SupervisionStatus } from '../../shared/supervision/consumer-supervisor.js';
import type { DecodeResult, TelemetryDecoder } from '../../shared/telemetry/telemetry-decoder.js';
import { telemetryValidators, timeWindowAround } from '../../shared/telemetry/telemetry-rules.js';
import { buildDeadLetter } from './dead-letter.js';
import type { TelemetryItemKind, ItemOrigin } from '../delivery-item.js';
import type { DispatcherMetrics } from '../dispatcher-metrics.js';
import { routeRecord } from './route-telemetry.js';
import type { DeadLetterCause, ItemMessage, Routed } from './route-telemetry.js';
import { SubscriptionMatcher } from './subscription-matcher.js';
import { kindByTopicId } from './telemetry-record.js';

export interface FanOutOptions {
  readonly kafka: KafkaClient;
  readonly topics: TopicCatalogue;
  readonly groupId: string;
  readonly catalogue: SubscriptionCatalogue;
  readonly decoder: TelemetryDecoder;
  readonly metrics: DispatcherMetrics;
  readonly logger: Logger;
  readonly sessionTimeoutMs: number;
  /** Accepted record times: at most this old and this far ahead of now (see the README). */
  readonly maxRecordAgeMs: number;
  readonly maxRecordAheadMs: number;
  readonly supervision: SupervisionPolicy;
  readonly observer?: SupervisionObserver;
}

/** Kafka's default `max.message.bytes`, used when the topic's own setting cannot be read. */
const kafkaDefaultMaxMessageBytes = 1_048_588;

interface Handled {
  readonly message: ConsumedRecord;
  readonly origin: ItemOrigin;
  routed: Routed;
}

/**
 * Match and re-key: reads `telemetry.*` as one consumer group, decodes each record
 * through the registry, applies the shared telemetry rules, matches it against the
 * in-memory catalogue and writes one item per matching subscription to
 * `webhook.deliveries`, keyed by subscription id (`route-telemetry.ts` decides).
 * No record can stop a partition: one that cannot be processed — undecodable, invalid,
 * too large for `webhook.deliveries`, or refused by the broker — goes to
 * `telemetry.deadletter` with its reason (cut to fit, `dead-letter.ts`); one whose dead
 * letter is refused too is skipped and counted. Only cluster trouble (and a registry
 * outage) fails a batch, which is then retried; a crashed consumer is restarted by its
 * `ConsumerSupervisor`, which also reports stalled partitions.
 * At-least-once: a batch's telemetry offsets are resolved only after every record it
 * produced is acknowledged by all in-sync replicas (idempotent producer).
 */
export class FanOutConsumer {
  private readonly consumer: PartitionedConsumer;
  private readonly producer: RecordProducer;
  private matcher: SubscriptionMatcher | null = null;
  private readonly kindByTopic = new Map<string, TelemetryItemKind>();
  private readonly deliveriesTopic: string;
  private readonly deadLetterTopic: string;
  private unsubscribe: (() => void) | null = null;
  private itemBudgetBytes = kafkaDefaultMaxMessageBytes - batchOverheadBytes;
  private deadLetterBudgetBytes = kafkaDefaultMaxMessageBytes - batchOverheadBytes;

  constructor(private readonly o: FanOutOptions) {
    // Items are keyed by subscription id: each id's partition is computed once (same choice as the pinned partitioner).
    this.producer = o.kafka.producer({ rememberKeyPartitions: true });
    for (const [id, kind] of Object.entries(kindByTopicId)) this.kindByTopic.set(o.topics.get(id).name, kind);
    this.deliveriesTopic = o.topics.get('webhook.deliveries').name;
    this.deadLetterTopic = o.topics.get('telemetry.deadletter').name;
    const topics = [...this.kindByTopic.keys()];
    this.consumer = new PartitionedConsumer({
      client: o.kafka, name: 'match', logger: o.logger, watchTopics: topics, supervision: o.supervision, ...(o.observer === undefined ? {} : { observer: o.observer }),
      settings: () => ({ groupId: o.groupId, sessionTimeoutMs: o.sessionTimeoutMs, heartbeatIntervalMs: Math.floor(o.sessionTimeoutMs / 10) }),
      run: {
        // Where the group has committed nothing, from the start: a partition's first owner can
        // die (or lose its coordinator) before its first commit lands, and starting the next
        // owner at the end would skip what arrived since (ARCHITECTURE, "Why nothing is lost").
        topics, fromBeginning: true, partitionsConsumedConcurrently: 6, autoCommit: { intervalMs: 1_000 },
        handler: { kind: 'batch', eachBatch: (batch, ctx) => this.handleBatch(batch, ctx) },
      },
    });
  }

  /** Running, joined, and no assigned partition stalled. */
  ready(): boolean {
    return this.consumer.ready();
  }

  healthy(): boolean {
    return this.consumer.healthy();
  }

  status(): SupervisionStatus {
    return this.consumer.status();
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.catalogue.onChange(() => (this.matcher = null));
    await this.producer.connect();
    await this.readBudgets();
    await this.consumer.start();
  }

  /** Stops fetching, waits for the batch in hand (its offsets commit on the way out), disconnects. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.consumer.close();
    await this.producer.disconnect().catch(() => undefined);
  }

  /** The largest record each output topic takes, from the topics' `max.message.bytes`. */
  private async readBudgets(): Promise<void> {
    const admin = this.o.kafka.admin();
    try {
      await admin.connect();
      const configs = await admin.topicConfigs([this.deliveriesTopic, this.deadLetterTopic], ['max.message.bytes']);
      const limit = (name: string): number => {
        const value = Number(configs.get(name)?.['max.message.bytes']);
        return Number.isSafeInteger(value) && value > batchOverheadBytes ? value : kafkaDefaultMaxMessageBytes;
      };
      // Deliveries take 3 MiB for scheduled parts (issue 13); matched items keep the 1 MiB telemetry records have.
      this.itemBudgetBytes = Math.min(limit(this.deliveriesTopic), kafkaDefaultMaxMessageBytes) - batchOverheadBytes;
      this.deadLetterBudgetBytes = limit(this.deadLetterTopic) - batchOverheadBytes;
    } catch (err) {
      this.o.logger.warn('cannot read max.message.bytes of the output topics; assuming the Kafka default', { err: errorMessage(err) });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private currentMatcher(): SubscriptionMatcher {
    this.matcher ??= new SubscriptionMatcher(this.o.catalogue.list());
    return this.matcher;
  }

  private async handleBatch(batch: FetchedBatch, { resolveOffset, heartbeat, isRunning, isStale }: BatchContext): Promise<void> {
    const kind = this.kindByTopic.get(batch.topic);
    if (kind === undefined || batch.messages.length === 0) return;
    const validators = telemetryValidators(timeWindowAround(Date.now(), this.o.maxRecordAgeMs, this.o.maxRecordAheadMs));
    const matcher = this.currentMatcher();
    const handled: Handled[] = [];
    const decodedAll = await this.o.decoder.decodeAll(kind, batch.messages.map((m) => m.value));
    // The loop below does not await: nothing can stop the consumer or seek the partition while it runs, so one check is every check.
    if (!isRunning() || isStale()) return;
    for (let i = 0; i < batch.messages.length; i++) {
      const message = batch.messages[i] as ConsumedRecord;
      const decoded = decodedAll[i] as DecodeResult;
      const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      handled.push({ message, origin, routed: routeRecord({ kind, decoded, origin, matcher, validators, itemBudgetBytes: this.itemBudgetBytes }) });
    }
    const last = handled.at(-1);
    if (last === undefined) return;
    const written: string[] = [];
    const items = await this.writeItems(handled, written);
    const dead = await this.writeDeadLetters(handled);
    this.o.logger.debug('telemetry batch matched', {
      topic: batch.topic, partition: batch.partition, first: handled[0]?.origin.offset, last: last.origin.offset, records: handled.length, items, written: written.join(' '),
    });
    // Resolved only once everything produced for these records is acknowledged.
    resolveOffset(last.origin.offset);
    const topic = stripPrefix(batch.topic, this.o.topics.prefix);
    this.o.metrics.recordsConsumed.inc({ topic }, handled.length);
    if (items > 0) this.o.metrics.itemsMatched.inc({ kind }, items);
    for (const [cause, n] of dead) this.o.metrics.deadLettered.inc({ topic, cause }, n);
    await heartbeat();
  }

  /**
   * Writes the items, in order, in requests that fit the topic. If the broker refuses a
   * record (not the cluster: that error is thrown and the batch retried), the records are
   * written one by one and the refused ones become dead letters. Returns the items written;
   * `where` gets where each request's records went.
   */
  private async writeItems(handled: Handled[], where: string[] = []): Promise<number> {
    const items = handled.flatMap((h) => (h.routed.kind === 'items' ? h.routed.messages : []));
    try {
      await this.send(this.deliveriesTopic, items, this.itemBudgetBytes, where);
      return items.length;
    } catch (err) {
      if (classifyProduceError(err).kind === 'cluster') throw err;
    }
    let written = 0;
    for (const h of handled) {
      if (h.routed.kind !== 'items' || h.routed.messages.length === 0) continue;
      try {
        await this.send(this.deliveriesTopic, h.routed.messages, this.itemBudgetBytes, where);
        written += h.routed.messages.length;
      } catch (err) {
        const failure = classifyProduceError(err);
        if (failure.kind === 'cluster') throw err;
        h.routed = { kind: 'dead', cause: 'refused', reason: `webhook.deliveries refused its items (${failure.type}): ${errorMessage(err)}` };
      }
    }
    return written;
  }

  /** Dead letters of the batch, each cut to fit; returns how many were written, per cause. */
  private async writeDeadLetters(handled: readonly Handled[]): Promise<Map<DeadLetterCause, number>> {
    const counts = new Map<DeadLetterCause, number>();
    const letters: { readonly h: Handled; readonly cause: DeadLetterCause; readonly message: OutgoingRecord }[] = [];
    for (const h of handled) {
      if (h.routed.kind !== 'dead') continue;
      const { message, truncated } = buildDeadLetter(h.message, h.origin, h.routed.reason, this.deadLetterBudgetBytes);
      this.o.logger.warn('dead-lettering a telemetry record', { ...h.origin, cause: h.routed.cause, reason: h.routed.reason, truncated });
      if (truncated) this.o.metrics.deadLettersTruncated.inc({ topic: stripPrefix(h.origin.topic, this.o.topics.prefix) });
      letters.push({ h, cause: h.routed.cause, message });
    }
    if (letters.length === 0) return counts;
    const count = (cause: DeadLetterCause): void => void counts.set(cause, (counts.get(cause) ?? 0) + 1);
    try {
      await this.send(this.deadLetterTopic, letters.map((l) => l.message), this.deadLetterBudgetBytes);
      letters.forEach((l) => count(l.cause));
      return counts;
    } catch (err) {
      if (classifyProduceError(err).kind === 'cluster') throw err;
    }
    for (const l of letters) if (await this.writeOneDeadLetter(l.h, l.message)) count(l.cause);
    return counts;
  }

  /** A dead letter the broker refuses is sent without its value; refused again, the record is skipped and counted (false). */
  private async writeOneDeadLetter(h: Handled, message: OutgoingRecord): Promise<boolean> {
    for (const attempt of [message, { ...message, value: null, headers: { ...message.headers, 'fleethook-deadletter-truncated': 'true' } }]) {
      try {
        await this.send(this.deadLetterTopic, [attempt], this.deadLetterBudgetBytes);
        return true;
      } catch (err) {
        if (classifyProduceError(err).kind === 'cluster') throw err;
        this.o.logger.error('telemetry.deadletter refused a dead letter', { ...h.origin, err: errorMessage(err), withValue: attempt.value !== null });
      }
    }
    this.o.metrics.recordsSkipped.inc({ topic: stripPrefix(h.origin.topic, this.o.topics.prefix) });
    this.o.logger.error('telemetry record skipped: neither processed nor dead-lettered', { ...h.origin, reason: h.routed.kind === 'dead' ? h.routed.reason : '' });
    return false;
  }

  /** Sends in requests that fit; `written` gets where each request's records went (`partition@base offset`, for the debug log). */
  private async send(topic: string, messages: readonly (ItemMessage | OutgoingRecord)[], budgetBytes: number, written: string[] = []): Promise<void> {
    for (const chunk of chunkBySize(messages, budgetBytes)) {
      for (const w of await this.producer.send(topic, chunk)) written.push(`${w.partition}@${w.baseOffset}`);
    }
  }
}

function stripPrefix(topic: string, prefix: string): string {
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : topic;
}
