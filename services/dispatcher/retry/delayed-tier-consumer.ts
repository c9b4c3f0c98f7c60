import type { SupervisionObserver, SupervisionPolicy } from '../../shared/supervision/consumer-supervisor.js';
import type { KafkaClient, RecordContext, RecordHeaders } from '../../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../../shared/kafka/partitioned-consumer.js';
import type { Logger } from '../../shared/logger.js';
import { checkDue, readDueAt } from './retry-due-header.js';

/** A retry-tier record handed over at or after its due time. */
export interface DueRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  /** From the due-time header; null when the header was missing or malformed (handed over at once). */
  readonly dueAtMs: number | null;
  readonly handedOverAtMs: number;
}

export interface DelayedTierConsumerOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  /** Broker names of the retry-tier topics to consume. */
  readonly topics: readonly string[];
  /** Called once a record is due, one at a time per partition, in offset order; its offset is committed after it resolves. */
  readonly handle: (record: DueRecord) => Promise<void>;
  readonly logger: Logger;
  readonly sessionTimeoutMs?: number;
  /** Co-partitioned with the deliveries unless told otherwise. */
  readonly assignment?: 'default' | 'co-partitioned';
  readonly partitionsConsumedConcurrently?: number;
  /** Restart with backoff after a crash (no stall watch: a lane's commit rests on a head that is not due yet, by design). */
  readonly supervision?: SupervisionPolicy;
  readonly observer?: SupervisionObserver;
}

/** The pause reason of a partition whose head is not due yet. */
const notDue = 'head-not-due';

interface Waiting {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timer: NodeJS.Timeout;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Consumes the retry-tier topics and hands each record over no earlier than its due time
 * (DESIGN.md §6). It never sleeps in the handler: when a partition's head is not due, the
 * partition is paused and a timer resumes it at the due time — the consumer keeps polling
 * and heartbeating, so it keeps its group membership. The head is re-read after the resume
 * (seek to its offset). A rebalance drops every timer and pause; the new assignment starts
 * from the committed offsets, so pauses are recomputed from the heads. Offsets are
 * committed after the handler resolves: at-least-once, never early.
 */
export class DelayedTierConsumer {
  private readonly consumer: PartitionedConsumer;
  private readonly waiting = new Map<string, Waiting>();
  private closed: Promise<void> | null = null;

  constructor(private readonly o: DelayedTierConsumerOptions) {
    const sessionTimeoutMs = o.sessionTimeoutMs ?? 30_000;
    this.consumer = new PartitionedConsumer({
      client: o.kafka, name: 'retry', logger: o.logger, watchTopics: [],
      ...(o.supervision === undefined ? {} : { supervision: o.supervision }), ...(o.observer === undefined ? {} : { observer: o.observer }),
      settings: () => ({
        groupId: o.groupId, assignment: o.assignment ?? 'co-partitioned', sessionTimeoutMs, heartbeatIntervalMs: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
        // A resumed partition is fetched only after the long poll in flight returns: keep it short so a due head is not held back.
        maxWaitTimeMs: 250,
      }),
      run: {
        topics: o.topics, fromBeginning: true, partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4, autoCommit: null,
        handler: { kind: 'record', eachRecord: (r) => this.onMessage(r) },
      },
      // A crashed incarnation's timers would resume and seek partitions of a consumer that is gone.
      onIncarnation: () => this.dropWaiting(),
      // The new assignment starts from committed offsets (every pause lifted); heads are re-read and re-paused.
      onAssigned: () => this.dropWaiting(),
    });
  }

  /** How many times this consumer has joined its group (1 after start, +1 per rebalance). */
  get joins(): number {
    return this.consumer.generation;
  }

  /** Partitions currently paused until their head is due (for metrics and tests). */
  get waitingPartitions(): number {
    return this.waiting.size;
  }

  async start(): Promise<void> {
    await this.consumer.start();
  }

  healthy(): boolean {
    return this.consumer.healthy();
  }

  /** Idempotent: stops timers, then leaves the group. Handled records are already committed. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.dropWaiting();
      await this.consumer.close();
    })();
    return this.closed;
  }

  private dropWaiting(): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      if (this.closed === null) this.consumer.resume(w.topic, [w.partition], notDue);
    }
    this.waiting.clear();
  }

  private async onMessage({ topic, partition, message }: RecordContext): Promise<void> {
    const key = tpKey(topic, partition);
    // A record fetched before the pause took effect: the seek at resume re-reads it.
    if (this.waiting.has(key) || this.closed !== null) return;
    const due = readDueAt(message.headers);
    const nowMs = Date.now();
    if (due.kind === 'due-at') {
      const check = checkDue(due.dueAtMs, nowMs);
      if (check.kind === 'wait') return this.waitFor(topic, partition, message.offset, check.waitMs);
    } else {
      this.o.logger.warn('retry record without a valid due time; handing it over now', { topic, partition, offset: message.offset, reason: due.reason });
    }
    const generation = this.consumer.generation;
    await this.o.handle({
      topic, partition, offset: message.offset, key: message.key, value: message.value,
      headers: message.headers ?? {}, dueAtMs: due.kind === 'due-at' ? due.dueAtMs : null, handedOverAtMs: nowMs,
    });
    await this.commit(topic, partition, message.offset, generation);
  }

  private waitFor(topic: string, partition: number, offset: string, waitMs: number): void {
    const key = tpKey(topic, partition);
    const generation = this.consumer.generation;
    this.consumer.pause(topic, [partition], notDue);
    const timer = setTimeout(() => {
      if (generation !== this.consumer.generation || this.closed !== null || this.waiting.get(key)?.timer !== timer) return;
      this.waiting.delete(key);
      // The client counted the head consumed when the handler returned; read it again.
      this.consumer.seek(topic, partition, offset);
      this.consumer.resume(topic, [partition], notDue);
    }, waitMs);
    this.waiting.set(key, { topic, partition, offset, timer });
  }

  private async commit(topic: string, partition: number, offset: string, generation: number): Promise<void> {
    try {
      await this.consumer.commitHandled(topic, partition, offset);
    } catch (err) {
      // Lost the partition meanwhile: its next owner hands the record over again (at-least-once).
      this.o.logger.warn('retry-tier commit failed', { topic, partition, offset, stale: generation !== this.consumer.generation, error: String(err) });
    }
  }
}
