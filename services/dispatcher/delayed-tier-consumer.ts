import { ConsumerSupervisor } from '../shared/supervision/consumer-supervisor.js';
import type { SupervisionObserver, SupervisionPolicy } from '../shared/supervision/consumer-supervisor.js';
import type { Consumer, EachMessagePayload, IHeaders, Kafka, PartitionAssigner } from 'kafkajs';
import type { Logger } from '../shared/logger.js';
import { CoPartitionedAssigner } from './co-partitioned-assigner.js';
import { checkDue, readDueAt } from './retry-due-header.js';

/** A retry-tier record handed over at or after its due time. */
export interface DueRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
  /** From the due-time header; null when the header was missing or malformed (handed over at once). */
  readonly dueAtMs: number | null;
  readonly handedOverAtMs: number;
}

export interface DelayedTierConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  /** Broker names of the retry-tier topics to consume. */
  readonly topics: readonly string[];
  /** Called once a record is due, one at a time per partition, in offset order; its offset is committed after it resolves. */
  readonly handle: (record: DueRecord) => Promise<void>;
  readonly logger: Logger;
  readonly sessionTimeoutMs?: number;
  readonly partitionAssigners?: readonly PartitionAssigner[];
  readonly partitionsConsumedConcurrently?: number;
  /** Restart with backoff after a crash (no stall watch: a lane's commit rests on a head that is not due yet, by design). */
  readonly supervision?: SupervisionPolicy;
  readonly observer?: SupervisionObserver;
}

interface Waiting {
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
  private readonly supervisor: ConsumerSupervisor;
  /** The current incarnation's consumer (a crash makes a new one). */
  private consumer: Consumer | null = null;
  private readonly waiting = new Map<string, Waiting>();
  private generation = 0;
  private closed: Promise<void> | null = null;

  constructor(private readonly o: DelayedTierConsumerOptions) {
    this.supervisor = new ConsumerSupervisor({
      name: 'retry', kafka: o.kafka, groupId: o.groupId, topics: [], logger: o.logger,
      ...(o.supervision === undefined ? {} : { policy: o.supervision }), ...(o.observer === undefined ? {} : { observer: o.observer }),
      create: () => this.incarnation(),
      run: async (consumer) => {
        for (const topic of o.topics) await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4, eachMessage: (p) => this.onMessage(p) });
      },
    });
  }

  private incarnation(): Consumer {
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      partitionAssigners: [...(this.o.partitionAssigners ?? [CoPartitionedAssigner])],
      sessionTimeout: this.o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((this.o.sessionTimeoutMs ?? 30_000) / 10)),
      // A resumed partition is fetched only after the long poll in flight returns: keep it short so a due head is not held back.
      maxWaitTimeInMs: 250,
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.consumer === consumer) this.onJoin();
    });
    // A crashed incarnation's timers would resume and seek partitions of a consumer that is gone.
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.consumer = consumer;
    return consumer;
  }

  /** How many times this consumer has joined its group (1 after start, +1 per rebalance). */
  get joins(): number {
    return this.generation;
  }

  /** Partitions currently paused until their head is due (for metrics and tests). */
  get waitingPartitions(): number {
    return this.waiting.size;
  }

  async start(): Promise<void> {
    await this.supervisor.start();
  }

  healthy(): boolean {
    return this.supervisor.healthy();
  }

  /** Idempotent: stops timers, then leaves the group. Handled records are already committed. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.dropWaiting();
      await this.supervisor.close();
    })();
    return this.closed;
  }

  private onJoin(): void {
    this.generation += 1;
    // The new assignment starts from committed offsets; heads are re-read and re-paused.
    this.dropWaiting();
  }

  private dropWaiting(): void {
    const paused: Array<{ topic: string; partitions: number[] }> = [];
    for (const [key, w] of this.waiting) {
      clearTimeout(w.timer);
      const [topic = '', partition = '0'] = key.split('\u0000');
      paused.push({ topic, partitions: [Number(partition)] });
    }
    this.waiting.clear();
    if (paused.length > 0 && this.closed === null) this.consumer?.resume(paused);
  }

  private async onMessage({ topic, partition, message }: EachMessagePayload): Promise<void> {
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
    const generation = this.generation;
    await this.o.handle({
      topic, partition, offset: message.offset, key: message.key, value: message.value,
      headers: message.headers ?? {}, dueAtMs: due.kind === 'due-at' ? due.dueAtMs : null, handedOverAtMs: nowMs,
    });
    await this.commit(topic, partition, message.offset, generation);
  }

  private waitFor(topic: string, partition: number, offset: string, waitMs: number): void {
    const key = tpKey(topic, partition);
    const generation = this.generation;
    this.consumer?.pause([{ topic, partitions: [partition] }]);
    const timer = setTimeout(() => {
      if (generation !== this.generation || this.closed !== null || this.waiting.get(key)?.timer !== timer) return;
      this.waiting.delete(key);
      // kafkajs marked the head consumed when the handler returned; read it again.
      this.consumer?.seek({ topic, partition, offset });
      this.consumer?.resume([{ topic, partitions: [partition] }]);
    }, waitMs);
    this.waiting.set(key, { offset, timer });
  }

  private async commit(topic: string, partition: number, offset: string, generation: number): Promise<void> {
    try {
      await this.consumer?.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
    } catch (err) {
      // Lost the partition meanwhile: its next owner hands the record over again (at-least-once).
      this.o.logger.warn('retry-tier commit failed', { topic, partition, offset, stale: generation !== this.generation, error: String(err) });
    }
  }
}
