import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { FleethookError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ConsumerSupervisor } from '../supervision/consumer-supervisor.js';

export interface CompactedTopicReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: Logger;
  /** A short name for logs and the supervisor (`landmarks`). */
  readonly name: string;
  /** Each incarnation reads in a group of its own (`<prefix>-<uuid>`), so it gets every partition. */
  readonly groupIdPrefix: string;
  /** Applies one record (a null value is a tombstone); called in offset order per partition. */
  readonly apply: (key: string, value: Buffer | null, partition: number, offset: string) => void;
}

interface Waiter {
  readonly targets: ReadonlyMap<number, number>;
  readonly resolve: () => void;
}

/**
 * Materialises a compacted topic in memory, the way the subscription catalogue does: every
 * instance reads the whole topic from the beginning, commits nothing, and is `ready` once
 * it has applied everything that existed at start. `waitForOffset` and `catchUp` give
 * read-your-writes. A crashed reader is restarted (ConsumerSupervisor) and skips what it
 * already applied.
 */
export class CompactedTopicReader {
  /** Next offset to apply, per partition. */
  private readonly positions = new Map<number, number>();
  private waiters: Waiter[] = [];
  private readonly admin: Admin;
  private readonly supervisor: ConsumerSupervisor;
  private isReady = false;
  private closed = false;

  constructor(private readonly options: CompactedTopicReaderOptions) {
    this.admin = options.kafka.admin();
    this.supervisor = new ConsumerSupervisor({
      name: options.name, kafka: options.kafka, groupId: options.groupIdPrefix, topics: [], logger: options.logger,
      create: (): Consumer => options.kafka.consumer({
        groupId: `${options.groupIdPrefix}-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, allowAutoTopicCreation: false,
      }),
      run: async (consumer) => {
        await consumer.subscribe({ topic: options.topic, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (p) => this.applyBatch(p) });
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
    await this.supervisor.start();
    await caughtUp;
    this.isReady = true;
  }

  /** Caught up once, and its reader is running. */
  ready(): boolean {
    return this.isReady && !this.closed && this.supervisor.status().state === 'running';
  }

  waitForOffset(partition: number, offset: number, timeoutMs: number): Promise<void> {
    return this.waitFor(new Map([[partition, offset + 1]]), timeoutMs);
  }

  /** Resolves once everything written before this call has been applied (one ListOffsets round trip). */
  async catchUp(timeoutMs: number): Promise<void> {
    await this.waitFor(await this.latestOffsets(), timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.supervisor.close();
    await this.admin.disconnect().catch(() => undefined);
  }

  private async latestOffsets(): Promise<Map<number, number>> {
    const offsets = await this.admin.fetchTopicOffsets(this.options.topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  private waitFor(targets: ReadonlyMap<number, number>, timeoutMs: number): Promise<void> {
    if (this.reached(targets)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new FleethookError('COMPACTED_TOPIC_LAGGING', `${this.options.name} did not catch up within ${timeoutMs} ms`, { retriable: true }));
      }, timeoutMs);
      const waiter: Waiter = { targets, resolve: () => { clearTimeout(timer); resolve(); } };
      this.waiters.push(waiter);
    });
  }

  private reached(targets: ReadonlyMap<number, number>): boolean {
    for (const [partition, next] of targets) if ((this.positions.get(partition) ?? 0) < next) return false;
    return true;
  }

  private async applyBatch({ batch }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (Number(message.offset) < (this.positions.get(batch.partition) ?? 0)) continue;
      try {
        this.options.apply(message.key?.toString('utf8') ?? '', message.value, batch.partition, message.offset);
      } catch (err) {
        this.options.logger.error('compacted topic record not applied', { topic: this.options.topic, partition: batch.partition, offset: message.offset, err });
      }
      this.positions.set(batch.partition, Number(message.offset) + 1);
    }
    // Compaction can leave a fetched range without messages; the batch still tells how far it got.
    const past = Number(batch.lastOffset()) + 1;
    if (past > (this.positions.get(batch.partition) ?? 0)) this.positions.set(batch.partition, past);
    const due = this.waiters.filter((w) => this.reached(w.targets));
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }
}
