import type { KafkaClient } from '../../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../../shared/kafka/partitioned-consumer.js';
import type { Logger } from '../../shared/logger.js';
import { decodeReplayRecord } from '../../shared/replay/replay-records.js';
import type { SupervisionObserver, SupervisionPolicy } from '../../shared/supervision/consumer-supervisor.js';
import { ReplayBook } from './replay-book.js';
import type { ReplayEntry } from './replay-book.js';
import { ReplayRunner } from './replay-runner.js';
import type { ReplayRunnerDeps } from './replay-runner.js';

export interface ReplayConsumerOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly logger: Logger;
  readonly sessionTimeoutMs: number;
  readonly runner: ReplayRunnerDeps;
  readonly supervision: SupervisionPolicy;
  readonly observer: SupervisionObserver;
  /** Wait before a replay that stopped on an error (Kafka, a read timeout) is started again. */
  readonly restartDelayMs: number;
}

interface Running {
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/**
 * The replay stage's owner (ARCHITECTURE.md, "Replays"): reads `webhook.replays` in a group
 * of its own (`<groupId>-replay`), so partition N — the replays of the subscriptions keyed
 * there — has one owner. It folds the partition into a `ReplayBook` from the committed
 * floor (the request of its oldest open replay) and, once it has read to the end it found
 * at the assignment, runs every open replay. A hand-over stops them before their next
 * request; the next owner resumes them from their last `progress`.
 */
export class ReplayConsumer {
  private readonly consumer: PartitionedConsumer;
  private books = new Map<number, ReplayBook>();
  private caughtUp = new Set<number>();
  private readonly running = new Map<string, Running>();
  /** Offset of each open replay's request, per partition: the commit floor. */
  private requestOffsets = new Map<number, Map<string, bigint>>();
  /** Replays this owner has run to their end record (until it is read back). */
  private finished = new Set<string>();
  private generation = 0;
  private closed = false;

  constructor(private readonly o: ReplayConsumerOptions) {
    const topic = o.runner.topics.replays;
    this.consumer = new PartitionedConsumer({
      client: o.kafka, name: 'replay', logger: o.logger, watchTopics: [], supervision: o.supervision, observer: o.observer,
      settings: () => ({ groupId: o.groupId, sessionTimeoutMs: o.sessionTimeoutMs, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 200 }),
      run: {
        topics: [topic], fromBeginning: true, partitionsConsumedConcurrently: 4, autoCommit: null, resolveBatchOnReturn: true,
        handler: {
          kind: 'batch',
          eachBatch: async (batch, ctx) => {
            if (ctx.isStale()) return;
            const book = this.bookOf(batch.partition);
            for (const m of batch.messages) {
              const record = decodeReplayRecord(m.value);
              if (record === null) {
                o.logger.warn('unreadable replay record passed over', { partition: batch.partition, offset: m.offset });
                continue;
              }
              const entry = book.apply(record);
              if (entry === null) continue;
              if (record.type === 'request') this.offsetsOf(batch.partition).set(entry.replayId, BigInt(m.offset));
              if (record.type === 'cancel') this.running.get(entry.replayId)?.stop.abort();
              if (entry.ended !== null) this.offsetsOf(batch.partition).delete(entry.replayId);
            }
            if (BigInt(batch.lastOffset()) + 1n >= BigInt(batch.highWatermark)) this.caughtUp.add(batch.partition);
            if (this.caughtUp.has(batch.partition)) this.startOpen(batch.partition, book);
            await this.commit(batch.partition, BigInt(batch.lastOffset()) + 1n);
          },
        },
      },
      onIncarnation: () => this.handOver(),
      onRebalancing: () => this.handOver(),
      onAssigned: (_assignment, generation) => {
        this.handOver();
        this.generation = generation;
      },
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
  }

  ready(): boolean {
    return this.consumer.ready();
  }

  healthy(): boolean {
    return this.consumer.healthy();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handOver();
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.consumer.close();
  }

  /** Everything this owner knew goes: the next generation rebuilds its books from the committed floors. */
  private handOver(): void {
    for (const r of this.running.values()) r.stop.abort();
    this.books = new Map();
    this.caughtUp = new Set();
    this.requestOffsets = new Map();
    this.finished = new Set();
  }

  private bookOf(partition: number): ReplayBook {
    let book = this.books.get(partition);
    if (book === undefined) this.books.set(partition, (book = new ReplayBook()));
    return book;
  }

  private offsetsOf(partition: number): Map<string, bigint> {
    let offsets = this.requestOffsets.get(partition);
    if (offsets === undefined) this.requestOffsets.set(partition, (offsets = new Map()));
    return offsets;
  }

  /** The floor: the oldest open replay's request, else everything read. */
  private async commit(partition: number, read: bigint): Promise<void> {
    let floor = read;
    for (const offset of this.offsetsOf(partition).values()) if (offset < floor) floor = offset;
    await this.consumer.commit([{ topic: this.o.runner.topics.replays, partition, offset: floor }]).catch((err: unknown) => {
      this.o.logger.warn('replay commit failed', { partition, err });
    });
  }

  private startOpen(partition: number, book: ReplayBook): void {
    for (const entry of book.open()) if (!this.running.has(entry.replayId) && !this.finished.has(entry.replayId)) this.launch(partition, book, entry);
  }

  private launch(partition: number, book: ReplayBook, entry: ReplayEntry): void {
    if (this.closed) return;
    const generation = this.generation;
    const stop = new AbortController();
    if (entry.cancelRequested) stop.abort();
    const runner = new ReplayRunner(this.o.runner, entry, partition, stop.signal, () => book.get(entry.replayId)?.cancelRequested === true);
    const finished = this.finished;
    const done = runner.run().then(() => {
      if (!stop.signal.aborted || book.get(entry.replayId)?.cancelRequested === true) finished.add(entry.replayId);
      return undefined;
    }, async (err: unknown) => {
      this.o.logger.warn('replay stopped on an error; it starts again', { replayId: entry.replayId, err });
      await new Promise((resolve) => setTimeout(resolve, this.o.restartDelayMs));
      return 'again' as const;
    }).then((next) => {
      this.running.delete(entry.replayId);
      // Still this owner's: it starts again from its last progress read back.
      const now = book.get(entry.replayId);
      if (next === 'again' && !stop.signal.aborted && generation === this.generation && this.books.get(partition) === book && now !== undefined && now.ended === null) {
        this.launch(partition, book, now);
      }
    });
    this.running.set(entry.replayId, { stop, done });
  }
}
