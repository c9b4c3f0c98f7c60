import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import { streamKeyOf } from './batch-accumulator.js';
import type { ClosedBatch } from './batch-accumulator.js';
import type { DeliveredMarks } from './delivered-marks.js';
import { CoPartitionedAssigner } from './co-partitioned-assigner.js';
import { deliverBatch, deliverable } from './deliver-batch.js';
import type { BatchDeliveryDeps, BatchResult } from './deliver-batch.js';
import { decodeDeliveryItem } from './delivery-item.js';
import type { DeliveryItem } from './delivery-item.js';
import { DeliveryGeneration } from './delivery-generation.js';

export interface DeliveryConsumerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly catalogue: SubscriptionCatalogue;
  readonly deps: BatchDeliveryDeps;
  readonly logger: Logger;
  readonly maxInFlight: number;
  readonly maxOpenItemsPerPartition: number;
  readonly commitIntervalMs: number;
  readonly flushTickMs: number;
  readonly rebalanceGraceMs: number;
  readonly marks: DeliveredMarks;
  readonly sessionTimeoutMs: number;
}

/**
 * Batch and deliver: consumes `webhook.deliveries` with the co-partitioned assigner,
 * batches per subscription, and runs each subscription's requests one after another
 * (KeyedSerialQueue) while many subscriptions run at once. Offsets are committed per
 * partition only up to the first item not yet delivered. A partition whose unfinished
 * items exceed the cap is paused until they drain (back-pressure, not buffering).
 */
export class DeliveryConsumer {
  private readonly consumer: Consumer;
  private gen: DeliveryGeneration | null = null;
  private generations = 0;
  /** The request running per subscription, across generations: a new owner waits for the old one. */
  private readonly running = new Map<string, Promise<unknown>>();
  private timers: NodeJS.Timeout[] = [];
  private joined = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: DeliveryConsumerOptions) {
    this.consumer = o.kafka.consumer({
      groupId: o.groupId, partitionAssigners: [CoPartitionedAssigner], allowAutoTopicCreation: false,
      sessionTimeout: o.sessionTimeoutMs, heartbeatInterval: Math.floor(o.sessionTimeoutMs / 10), maxWaitTimeInMs: 100,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment[o.topic] ?? []));
    this.consumer.on(this.consumer.events.REBALANCING, () => void this.commit());
  }

  get isJoined(): boolean {
    return this.joined;
  }

  /** Partitions owned now (for tests and status). */
  get assignment(): readonly number[] {
    return this.gen?.partitions ?? [];
  }

  get openItems(): number {
    let n = 0;
    for (const t of this.gen?.trackers.values() ?? []) n += t.open;
    return n;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.o.topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false, eachBatchAutoResolve: true, partitionsConsumedConcurrently: 4,
      eachBatch: (p) => this.handleBatch(p),
    });
    this.timers.push(setInterval(() => this.tick(), this.o.flushTickMs), setInterval(() => void this.commit(), this.o.commitIntervalMs));
  }

  /** Stop fetching → finish or abandon in-flight within the grace → commit → disconnect. Idempotent. */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      const gen = this.gen;
      if (gen !== null && gen.partitions.length > 0) this.consumer.pause([{ topic: this.o.topic, partitions: [...gen.partitions] }]);
      if (gen !== null) {
        const ended = gen.end(graceMs);
        await Promise.race([ended, new Promise((r) => setTimeout(r, graceMs + 1_000).unref())]);
        await this.commitGeneration(gen);
      }
      await this.consumer.disconnect().catch(() => undefined);
    })();
    return this.closing;
  }

  private onJoin(partitions: readonly number[]): void {
    const old = this.gen;
    this.gen = new DeliveryGeneration(++this.generations, [...partitions].sort((a, b) => a - b), this.o.maxInFlight);
    this.joined = true;
    this.o.logger.info('deliveries assignment', { topic: this.o.topic, generation: this.gen.id, partitions: this.gen.partitions });
    // The old generation's buffers are dropped; its items are read again from committed offsets.
    if (old !== null) void old.end(this.o.rebalanceGraceMs);
  }

  private async handleBatch({ batch, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    const gen = this.gen;
    if (gen === null || gen.ended) return;
    const tracker = gen.tracker(batch.partition);
    const items: { offset: number; item: DeliveryItem | null }[] = [];
    for (const message of batch.messages) {
      const decoded = decodeDeliveryItem(message.value);
      if (decoded.kind === 'invalid') {
        this.o.logger.error('skipping a malformed delivery item', { topic: batch.topic, partition: batch.partition, offset: message.offset, reason: decoded.reason });
      }
      items.push({ offset: Number(message.offset), item: decoded.kind === 'item' ? decoded.item : null });
    }
    await this.loadMarks(gen, items);
    const nowMs = Date.now();
    for (const { offset, item } of items) {
      if (!isRunning() || isStale() || gen !== this.gen) break;
      tracker.register(offset);
      const sub = item === null ? undefined : this.o.catalogue.get(item.subscriptionId);
      if (item === null || sub === undefined || !deliverable(sub) || offset <= (gen.delivered.get(streamKeyOf(item)) ?? -1)) {
        tracker.complete(offset);
        continue;
      }
      gen.addDepth(item.subscriptionId, 1);
      const closed = gen.batches.add({ item, partition: batch.partition, offset }, sub.batching, nowMs);
      if (closed !== null) this.enqueue(gen, closed);
    }
    if (tracker.open > this.o.maxOpenItemsPerPartition && !gen.paused.has(batch.partition)) {
      gen.paused.add(batch.partition);
      this.consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      this.o.logger.info('pausing a partition: too many unfinished items', { topic: batch.topic, partition: batch.partition, open: tracker.open });
    }
    await heartbeat();
  }

  /** Dedupe marks of streams this generation has not seen yet, in one round trip. */
  private async loadMarks(gen: DeliveryGeneration, items: readonly { item: DeliveryItem | null }[]): Promise<void> {
    const missing = new Set<string>();
    for (const { item } of items) if (item !== null && !gen.delivered.has(streamKeyOf(item))) missing.add(streamKeyOf(item));
    for (const [k, v] of await this.o.marks.load([...missing])) gen.delivered.set(k, v);
  }

  private enqueue(gen: DeliveryGeneration, batch: ClosedBatch): void {
    const sub = batch.subscriptionId;
    const task = async (): Promise<BatchResult> => {
      await this.running.get(sub)?.catch(() => undefined);
      const depth = (): number => Math.max(0, (gen.depth.get(sub) ?? 0) - batch.items.length);
      const p = deliverBatch(this.o.deps, batch, { stop: gen.stop, kill: gen.kill, queueDepth: depth });
      this.running.set(sub, p);
      try {
        const result = await p;
        // The mark is written before this subscription's next request can start.
        const last = batch.items[batch.items.length - 1];
        if (result.kind === 'delivered' && last !== undefined) await this.o.marks.mark(streamKeyOf(last.item), last.offset);
        return result;
      } finally {
        if (this.running.get(sub) === p) this.running.delete(sub);
      }
    };
    gen.queue.run(sub, task).then(
      (result) => this.finish(gen, batch, result),
      (err: unknown) => {
        if (!gen.ended) this.o.logger.error('delivery task failed', { subscriptionId: sub, err: errorMessage(err) });
      },
    );
  }

  private finish(gen: DeliveryGeneration, batch: ClosedBatch, result: BatchResult): void {
    if (result.kind === 'abandoned') return;
    if (result.kind === 'skipped') this.o.logger.info('items not delivered', { subscriptionId: batch.subscriptionId, reason: result.reason, items: batch.items.length });
    gen.addDepth(batch.subscriptionId, -batch.items.length);
    for (const p of batch.items) gen.tracker(p.partition).complete(p.offset);
  }

  private tick(): void {
    const gen = this.gen;
    if (gen === null || gen.ended) return;
    for (const closed of gen.batches.due(Date.now())) this.enqueue(gen, closed);
    for (const partition of gen.paused) {
      if (gen.tracker(partition).open > this.o.maxOpenItemsPerPartition / 2) continue;
      gen.paused.delete(partition);
      this.consumer.resume([{ topic: this.o.topic, partitions: [partition] }]);
    }
    const m = this.o.deps.metrics;
    m.openItems.set(this.openItems);
    m.pausedPartitions.set(gen.paused.size);
  }

  private async commit(): Promise<void> {
    const gen = this.gen;
    if (gen !== null && !gen.ended) await this.commitGeneration(gen);
  }

  private async commitGeneration(gen: DeliveryGeneration): Promise<void> {
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [partition, tracker] of gen.trackers) {
      const next = tracker.committable();
      if (next === null || next <= (gen.committed.get(partition) ?? -1)) continue;
      offsets.push({ topic: this.o.topic, partition, offset: String(next) });
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const o of offsets) gen.committed.set(o.partition, Number(o.offset));
    } catch (err) {
      this.o.logger.warn('offset commit failed; will retry', { topic: this.o.topic, err: errorMessage(err) });
    }
  }
}
