import { CompactedTopicReader } from '../shared/compacted/compacted-topic-reader.js';
import type { KafkaClient, RecordHeaders } from '../shared/kafka/kafka-port.js';
import { readRecordAt } from '../shared/kafka/record-at-offset.js';
import type { Logger } from '../shared/logger.js';
import { decodeMessageAttempt } from '../shared/message-log/message-log-record.js';
import { MessageLogIndex } from './message-log-index.js';
import type { IndexedAttempt, IndexedMessage, MessageFilter } from './message-log-index.js';

export interface MessageLogViewOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  readonly groupIdPrefix: string;
  readonly maxMessages: number;
  /** Bodies kept in memory (newest first); an older one is read from the topic when asked for. */
  readonly bodyCacheBytes: number;
  readonly readTimeoutMs: number;
}

/**
 * The admin API's copy of `webhook.messages`: every instance reads the whole topic
 * (retention bounds it) into a bounded index of requests and attempts, and keeps the
 * newest bodies up to a byte budget; an older body is read back from its offset.
 */
export class MessageLogView {
  private readonly index: MessageLogIndex;
  private readonly reader: CompactedTopicReader;
  /** Body bytes by attempt offset (`partition:offset`), oldest first. */
  private readonly bodies = new Map<string, Buffer>();
  private bodyBytes = 0;
  /** Cold reads one at a time: each costs a consumer join. */
  private coldRead: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: MessageLogViewOptions) {
    this.index = new MessageLogIndex(o.maxMessages, 100);
    this.reader = new CompactedTopicReader({
      kafka: o.kafka, topic: o.topic, logger: o.logger, name: 'message-log', groupIdPrefix: o.groupIdPrefix,
      apply: (_key, value, partition, offset, headers) => this.apply(value, partition, offset, headers),
    });
  }

  /** Resolves once caught up with the topic as it was at start (`ready` from then on). */
  start(timeoutMs: number): Promise<void> {
    return this.reader.start(timeoutMs);
  }

  ready(): boolean {
    return this.reader.ready();
  }

  /** Everything written before this call is in the view (read-your-writes for the routes). */
  catchUp(): Promise<void> {
    return this.reader.catchUp(this.o.readTimeoutMs);
  }

  get(webhookId: string): IndexedMessage | undefined {
    return this.index.get(webhookId);
  }

  list(subscriptionId: string, filter: MessageFilter): ReturnType<MessageLogIndex['list']> {
    return this.index.list(subscriptionId, filter);
  }

  /** The exact bytes of an attempt's body; null when the topic no longer has them. */
  async body(message: IndexedMessage, attempt: IndexedAttempt): Promise<Buffer | null> {
    const key = `${message.partition}:${attempt.offset}`;
    const kept = this.bodies.get(key);
    if (kept !== undefined) return kept;
    // A consumer join takes a few seconds on a busy cluster: more than a catalogue read.
    const read = this.coldRead.then(() => readRecordAt(this.o.kafka, this.o.topic, message.partition, attempt.offset, 3 * this.o.readTimeoutMs));
    this.coldRead = read.catch(() => undefined);
    const record = await read;
    return record?.value ?? null;
  }

  close(): Promise<void> {
    return this.reader.close();
  }

  private apply(value: Buffer | null, partition: number, offset: string, headers: RecordHeaders | undefined): void {
    const decoded = decodeMessageAttempt(headers);
    if (decoded.kind === 'invalid') {
      this.o.logger.warn('message log record skipped', { topic: this.o.topic, partition, offset, reason: decoded.reason });
      return;
    }
    this.index.add(partition, BigInt(offset), decoded.value);
    if (value !== null) this.keepBody(`${partition}:${offset}`, value);
  }

  private keepBody(key: string, body: Buffer): void {
    if (body.length > this.o.bodyCacheBytes) return;
    // A copy: a fetched value is a view into the whole fetched batch, which it would keep alive.
    this.bodies.set(key, Buffer.from(body));
    this.bodyBytes += body.length;
    while (this.bodyBytes > this.o.bodyCacheBytes) {
      const oldest = this.bodies.entries().next().value as [string, Buffer] | undefined;
      if (oldest === undefined) break;
      this.bodies.delete(oldest[0]);
      this.bodyBytes -= oldest[1].length;
    }
  }
}
