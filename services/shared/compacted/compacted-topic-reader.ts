import { randomUUID } from 'node:crypto';
import { FleethookError } from '../errors.js';
import { CatchUp } from '../kafka/catch-up.js';
import type { FetchedBatch, KafkaAdmin, KafkaClient, RecordHeaders } from '../kafka/kafka-port.js';
import { PartitionedConsumer } from '../kafka/partitioned-consumer.js';
import type { Logger } from '../logger.js';

export interface CompactedTopicReaderOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  /** A short name for logs and the supervisor (`landmarks`). */
  readonly name: string;
  /** Each incarnation reads in a group of its own (`<prefix>-<uuid>`), so it gets every partition. */
  readonly groupIdPrefix: string;
  /** Applies one record (a null value is a tombstone); called in offset order per partition. */
  readonly apply: (key: string, value: Buffer | null, partition: number, offset: string, headers?: RecordHeaders) => void;
}

/**
 * Materialises a compacted topic in memory (the subscription catalogue, the landmarks): every
 * instance reads the whole topic from the beginning, commits nothing, and is `ready` once
 * it has applied everything that existed at start. `waitForOffset` and `catchUp` give
 * read-your-writes. A crashed reader is restarted (ConsumerSupervisor) and skips what it
 * already applied.
 */
export class CompactedTopicReader {
  /** How far each partition has been applied (the next offset), and who waits for it. */
  private readonly applied = new CatchUp();
  private readonly admin: KafkaAdmin;
  private readonly reader: PartitionedConsumer;
  private isReady = false;
  private closed = false;

  constructor(private readonly options: CompactedTopicReaderOptions) {
    this.admin = options.kafka.admin();
    this.reader = new PartitionedConsumer({
      client: options.kafka, name: options.name, logger: options.logger, watchTopics: [],
      settings: () => ({ groupId: `${options.groupIdPrefix}-${randomUUID()}`, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }),
      run: {
        topics: [options.topic], fromBeginning: true, partitionsConsumedConcurrently: 1, autoCommit: null, resolveBatchOnReturn: true,
        handler: { kind: 'batch', eachBatch: async (batch) => this.applyBatch(batch) },
      },
    });
  }

  /** Connects and resolves once caught up with the topic as it was at start. */
  async start(timeoutMs = 60_000): Promise<void> {
    await this.admin.connect();
    const targets = await this.latestOffsets().catch((cause: unknown) => {
      throw new FleethookError('COMPACTED_TOPIC_UNAVAILABLE', `cannot read topic ${this.options.topic} (does it exist? \`npm run topics\` creates it)`, { cause, retriable: true });
    });
    const caughtUp = this.waitFor(targets, timeoutMs);
    await this.reader.start();
    await caughtUp;
    this.isReady = true;
  }

  /** Caught up once, and its reader is running. */
  ready(): boolean {
    return this.isReady && !this.closed && this.reader.status().state === 'running';
  }

  waitForOffset(partition: number, offset: number, timeoutMs: number): Promise<void> {
    return this.waitFor(new Map([[partition, BigInt(offset) + 1n]]), timeoutMs);
  }

  /** Resolves once everything written before this call has been applied (one ListOffsets round trip). */
  async catchUp(timeoutMs: number): Promise<void> {
    await this.waitFor(await this.latestOffsets(), timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
    await this.admin.disconnect().catch(() => undefined);
  }

  private async latestOffsets(): Promise<Map<number, bigint>> {
    const offsets = await this.admin.watermarks(this.options.topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  private waitFor(targets: ReadonlyMap<number, bigint>, timeoutMs: number): Promise<void> {
    return this.applied.waitFor(targets, timeoutMs, () => new FleethookError('COMPACTED_TOPIC_LAGGING', `${this.options.name} did not catch up within ${timeoutMs} ms`, { retriable: true }));
  }

  private applyBatch(batch: FetchedBatch): void {
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < this.applied.position(batch.partition)) continue;
      try {
        this.options.apply(message.key?.toString('utf8') ?? '', message.value, batch.partition, message.offset, message.headers);
      } catch (err) {
        this.options.logger.error('compacted topic record not applied', { topic: this.options.topic, partition: batch.partition, offset: message.offset, err });
      }
      this.applied.advance(batch.partition, offset + 1n);
    }
    // Compaction can leave a fetched range without messages; the batch still tells how far it got.
    this.applied.advance(batch.partition, BigInt(batch.lastOffset()) + 1n);
  }
}
