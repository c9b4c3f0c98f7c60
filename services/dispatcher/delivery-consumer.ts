import type { Admin, Batch, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import { streamKeyOf } from './batch-accumulator.js';
import type { ClosedBatch, PendingItem } from './batch-accumulator.js';
import type { DeliveredMarks } from './delivered-marks.js';
import { CoPartitionedAssigner } from './co-partitioned-assigner.js';
import { deliverBatch, deliverable } from './deliver-batch.js';
import type { BatchDeliveryDeps, BatchResult } from './deliver-batch.js';
import { decodeDeliveryItem } from './delivery-item.js';
import type { DeliveryItem } from './delivery-item.js';
import { DeliveryGeneration } from './delivery-generation.js';
import { decodeParkedRecord } from './parked-record.js';
import type { ParkedRecord } from './parked-record.js';
import { episodeIdFor } from './parking-io.js';
import type { ParkingIo } from './parking-io.js';
import type { RequestFailure } from './deliver-batch.js';
import type { RetryTicket } from './retry-ticket.js';
import { sleep } from './retry-delay.js';

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
  /** `webhook.parked` (co-partitioned with `topic`) and the writes of parking. */
  readonly parkedTopic: string;
  readonly parking: ParkingIo;
}

/** The longest a partial drain batch waits for more backlog items (normally it goes when the partition is read to its end). */
const drainBatchWaitMs = 1_000;

/** Results of a subscription's serial task besides a delivery: handed on durably to the backlog, the tiers or the audit. */
type TaskResult = BatchResult | { readonly kind: 'handed'; readonly depthDone?: boolean };

/**
 * Batch and deliver: consumes `webhook.deliveries` and `webhook.parked` with the
 * co-partitioned assigner, batches per subscription, and runs each subscription's work one
 * task after another (KeyedSerialQueue) while many subscriptions run at once. Offsets are
 * committed per partition only up to the first item not yet delivered or durably handed
 * on. A partition whose unfinished items exceed the cap is paused until they drain.
 *
 * Parking (issue 5, see parking-book.ts): when a request fails its quick retries, its
 * ticket goes to the first retry lane and a begin marker to `webhook.parked`; from then
 * on the subscription's live items are appended to its backlog there, inside its serial
 * queue, so nothing overtakes the head. The tier consumer writes `recovered` when the head
 * succeeds; this consumer reads it back, drains the backlog in order (re-reading the
 * partition from the subscription's cursor), and ends the episode with `drained` once
 * every item seen is delivered — the next live request starts exactly there. After an
 * assignment, a partition's deliveries wait until its parked partition is read up to the
 * end, so the book is whole before any live item is routed.
 */
export class DeliveryConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
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
    this.admin = o.kafka.admin();
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

  /** Items in a parked subscription's backlog, when this instance owns it (null otherwise). */
  backlogOf(subscriptionId: string): number | null {
    for (const book of this.gen?.books.values() ?? []) {
      const s = book.get(subscriptionId);
      if (s !== undefined) return s.backlog;
    }
    return null;
  }

  /** Whether this instance, whole for that partition, knows the episode is over (a ticket of it is an orphan to drop). */
  episodeOver(partition: number, subscriptionId: string, episodeId: string): boolean {
    const gen = this.gen;
    if (gen === null || !gen.partitions.includes(partition) || gen.scanning.has(partition)) return false;
    return gen.book(partition).hasEnded(subscriptionId, episodeId);
  }

  /** Subscriptions parked, draining or closing on this instance (for tests and status). */
  parkedSubscriptions(): Map<string, string> {
    const out = new Map<string, string>();
    for (const book of this.gen?.books.values() ?? []) for (const [id, s] of book.entries()) out.set(id, s.phase);
    return out;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.o.topic, this.o.parkedTopic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false, eachBatchAutoResolve: true, partitionsConsumedConcurrently: 4,
      eachBatch: (p) => (p.batch.topic === this.o.parkedTopic ? this.handleParkedBatch(p) : this.handleBatch(p)),
    });
    this.timers.push(setInterval(() => this.tick(), this.o.flushTickMs), setInterval(() => void this.commit(), this.o.commitIntervalMs));
  }

  /** Stop fetching → finish or abandon in-flight within the grace → commit → disconnect. Idempotent. */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      const gen = this.gen;
      if (gen !== null && gen.partitions.length > 0) {
        this.consumer.pause([{ topic: this.o.topic, partitions: [...gen.partitions] }, { topic: this.o.parkedTopic, partitions: [...gen.partitions] }]);
      }
      if (gen !== null) {
        const ended = gen.end(graceMs);
        await Promise.race([ended, new Promise((r) => setTimeout(r, graceMs + 1_000).unref())]);
        await this.commitGeneration(gen);
      }
      await this.consumer.disconnect().catch(() => undefined);
      await this.admin.disconnect().catch(() => undefined);
    })();
    return this.closing;
  }

  private onJoin(partitions: readonly number[]): void {
    const old = this.gen;
    const gen = new DeliveryGeneration(++this.generations, [...partitions].sort((a, b) => a - b), this.o.maxInFlight);
    this.gen = gen;
    for (const p of gen.partitions) gen.scanning.add(p);
    this.joined = true;
    this.o.logger.info('deliveries assignment', { topic: this.o.topic, generation: gen.id, partitions: gen.partitions });
    // The old generation's buffers are dropped; its items are read again from committed offsets.
    if (old !== null) void old.end(this.o.rebalanceGraceMs);
    void this.startScan(gen);
  }

  /**
   * Where each owned parked partition must be read to before its deliveries may flow: its
   * end now. A partition whose committed position is already there is whole at once.
   */
  private async startScan(gen: DeliveryGeneration): Promise<void> {
    for (let attempt = 0; !gen.ended; attempt++) {
      try {
        const [ends, committed] = await Promise.all([
          this.admin.fetchTopicOffsets(this.o.parkedTopic),
          this.admin.fetchOffsets({ groupId: this.o.groupId, topics: [this.o.parkedTopic, this.o.topic] }),
        ]);
        const committedIn = (topic: string): Map<number, bigint> =>
          new Map((committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
        const committedOf = committedIn(this.o.parkedTopic);
        for (const [partition, offset] of committedIn(this.o.topic)) if (offset >= 0n && gen.scanning.has(partition)) gen.book(partition).liveFrom(Number(offset));
        for (const e of ends) {
          if (!gen.scanning.has(e.partition)) continue;
          const end = BigInt(e.high);
          const start = (committedOf.get(e.partition) ?? -1n) >= 0n ? (committedOf.get(e.partition) as bigint) : BigInt(e.low);
          gen.scanTargets.set(e.partition, end);
          if (start >= end || (gen.parkedNext.get(e.partition) ?? -1n) >= end) this.scanDone(gen, e.partition);
        }
        return;
      } catch (err) {
        this.o.logger.warn('could not read parked offsets; retrying', { err: errorMessage(err), attempt });
        await sleep(1_000, gen.stop);
      }
    }
  }

  private scanDone(gen: DeliveryGeneration, partition: number): void {
    if (!gen.scanning.delete(partition)) return;
    this.o.logger.info('parked backlog read', { partition, parked: gen.book(partition).size });
    this.rewind(gen, partition);
    this.queueChecks(gen, partition);
    if (gen.heldBack.delete(partition)) this.consumer.resume([{ topic: this.o.topic, partitions: [partition] }]);
  }

  private async handleBatch({ batch, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    const gen = this.gen;
    if (gen === null || gen.ended) return;
    if (gen.scanning.has(batch.partition)) {
      // Not before the parked partition is read: the book must know every parked subscription first.
      const first = batch.messages[0];
      gen.heldBack.add(batch.partition);
      this.consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      if (first !== undefined) this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: first.offset });
      if (!gen.scanning.has(batch.partition) && gen.heldBack.delete(batch.partition)) this.consumer.resume([{ topic: batch.topic, partitions: [batch.partition] }]);
      return;
    }
    const tracker = gen.tracker(batch.partition);
    const book = gen.book(batch.partition);
    const items: { offset: number; item: DeliveryItem | null; value: Buffer | null }[] = [];
    for (const message of batch.messages) {
      const decoded = decodeDeliveryItem(message.value);
      if (decoded.kind === 'invalid') {
        this.o.logger.error('skipping a malformed delivery item', { topic: batch.topic, partition: batch.partition, offset: message.offset, reason: decoded.reason });
      }
      items.push({ offset: Number(message.offset), item: decoded.kind === 'item' ? decoded.item : null, value: message.value });
    }
    await this.loadMarks(gen, items);
    const nowMs = Date.now();
    for (const { offset, item, value } of items) {
      if (!isRunning() || isStale() || gen !== this.gen) break;
      tracker.register(offset);
      const inParking = item === null ? true : book.routeLive(item.subscriptionId, offset) === 'skip';
      const sub = item === null ? undefined : this.o.catalogue.get(item.subscriptionId);
      const parked = item !== null && book.get(item.subscriptionId) !== undefined;
      // A parked subscription keeps its items while paused, and while deactivated until its backlog is audited.
      const takes = sub !== undefined && (deliverable(sub) || (parked && (sub.state === 'paused' || sub.state === 'deactivated')));
      if (item === null || value === null || !takes || inParking || offset <= (gen.delivered.get(streamKeyOf(item)) ?? -1) || this.isRepeat(gen, item)) {
        tracker.complete(offset);
        continue;
      }
      gen.addDepth(item.subscriptionId, 1);
      const closed = gen.batches.add({ item, partition: batch.partition, offset, value }, sub.batching, nowMs);
      if (closed !== null) this.enqueue(gen, closed);
    }
    if (tracker.open > this.o.maxOpenItemsPerPartition && !gen.paused.has(batch.partition)) {
      gen.paused.add(batch.partition);
      this.consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      this.o.logger.info('pausing a partition: too many unfinished items', { topic: batch.topic, partition: batch.partition, open: tracker.open });
    }
    await heartbeat();
  }

  /** Reads `webhook.parked`: rebuilds the book, feeds drains and audits, ends episodes. */
  private async handleParkedBatch({ batch, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    const gen = this.gen;
    if (gen === null || gen.ended) return;
    const partition = batch.partition;
    const book = gen.book(partition);
    const audits = new Map<string, { parkedOffset: bigint; deliveriesOffset: string; value: string }[]>();
    const settled = new Set<string>();
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || gen !== this.gen) return;
      const offset = BigInt(message.offset);
      const scanning = gen.scanning.has(partition);
      const subscriptionId = message.key?.toString('utf8') ?? '';
      const decoded = decodeParkedRecord(message.value, message.headers);
      if (decoded.kind === 'invalid' || subscriptionId === '') {
        this.o.logger.error('skipping a malformed parked record', { partition, offset: message.offset, reason: decoded.kind === 'invalid' ? decoded.reason : 'no key' });
      } else {
        this.applyParked(gen, partition, subscriptionId, offset, decoded.record, scanning, audits, settled);
      }
      gen.parkedNext.set(partition, offset + 1n);
      const target = gen.scanTargets.get(partition);
      if (scanning && target !== undefined && offset + 1n >= target) this.scanDone(gen, partition);
    }
    if (batch.messages.length === 0) this.scanIfEmpty(gen, batch);
    // Read to the end: partial drain batches go now; otherwise they wait for the next fetch, so requests are not cut at fetch boundaries.
    if (BigInt(batch.highWatermark) <= (gen.parkedNext.get(partition) ?? 0n)) {
      for (const closed of gen.drainBatches.drain()) this.enqueueDrain(gen, closed.items[0]?.partition ?? partition, closed);
    }
    for (const [sub, items] of audits) this.enqueueAudit(gen, partition, sub, items);
    if (!gen.scanning.has(partition)) {
      this.rewind(gen, partition);
      for (const sub of settled) this.queueCheck(gen, partition, sub);
    }
    if ((gen.drainOpen.get(partition) ?? 0) > this.o.maxOpenItemsPerPartition && !gen.parkedPaused.has(partition)) {
      gen.parkedPaused.add(partition);
      this.consumer.pause([{ topic: this.o.parkedTopic, partitions: [partition] }]);
    }
    await heartbeat();
  }

  private scanIfEmpty(gen: DeliveryGeneration, batch: Batch): void {
    const target = gen.scanTargets.get(batch.partition);
    if (gen.scanning.has(batch.partition) && target !== undefined && BigInt(batch.highWatermark) <= target && (gen.parkedNext.get(batch.partition) ?? -1n) >= target) {
      this.scanDone(gen, batch.partition);
    }
  }

  private applyParked(
    gen: DeliveryGeneration, partition: number, sub: string, offset: bigint, record: ParkedRecord, scanning: boolean,
    audits: Map<string, { parkedOffset: bigint; deliveriesOffset: string; value: string }[]>, settled: Set<string>,
  ): void {
    const book = gen.book(partition);
    switch (record.kind) {
      case 'begin':
        book.begin(sub, {
          episodeId: record.episodeId, markerOffset: offset, headOffsets: (record.headDeliveriesOffsets ?? []).map(Number),
          ...(record.backlogAfter === undefined ? {} : { backlogAfter: BigInt(record.backlogAfter) }),
          ...(record.headParkedOffsets === undefined ? {} : { inHead: record.headParkedOffsets.map((o) => BigInt(o)) }),
        });
        return;
      case 'item': {
        const route = book.item(sub, offset, Number(record.deliveriesOffset), scanning);
        if (route === 'drain') {
          const decoded = decodeDeliveryItem(record.value);
          if (decoded.kind === 'invalid') {
            // Written by us from a valid item; should it ever be unreadable, it is audited, not lost.
            gen.drainTracker(sub).register(Number(offset));
            this.pushAudit(audits, sub, offset, record);
            return;
          }
          gen.addDrainOpen(partition, 1);
          gen.drainTracker(sub).register(Number(offset));
          const stored = this.o.catalogue.get(sub);
          const maxItems = stored?.batching.maxItems ?? 500;
          const closed = gen.drainBatches.add(
            { item: decoded.item, partition, offset: Number(record.deliveriesOffset), value: record.value, parkedOffset: offset },
            // Full batches go at once; partial ones when the partition is read to its end (or after drainBatchWaitMs, e.g. while paused).
            { maxItems, maxWaitMs: drainBatchWaitMs }, Date.now(),
          );
          if (closed !== null) this.enqueueDrain(gen, partition, closed);
        } else if (route === 'finished') {
          gen.drainTracker(sub).register(Number(offset));
          this.finishedItems(gen, partition, sub, [offset]);
          settled.add(sub);
        } else if (route === 'audit') {
          gen.drainTracker(sub).register(Number(offset));
          this.pushAudit(audits, sub, offset, record);
        }
        return;
      }
      case 'recovered':
        if (book.settle(sub, record.episodeId, 'draining', offset)) {
          settled.add(sub);
          this.o.logger.info('head recovered: draining the backlog', { subscriptionId: sub, episodeId: record.episodeId, backlog: book.get(sub)?.backlog });
        }
        return;
      case 'closed':
        if (book.settle(sub, record.episodeId, 'closing', offset)) {
          settled.add(sub);
          gen.closing.set(sub, { reason: record.reason, facts: record.facts, audited: 0 });
        }
        return;
      case 'progress':
        book.progress(sub, record.episodeId, { cursor: BigInt(record.cursor), finished: record.finished.map((o) => BigInt(o)), backlog: record.backlog });
        return;
      case 'drained':
        book.end(sub, record.episodeId, offset);
        return;
      default: {
        const unreachable: never = record;
        throw new Error(`unknown parked record ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private pushAudit(audits: Map<string, { parkedOffset: bigint; deliveriesOffset: string; value: string }[]>, sub: string, offset: bigint, record: Extract<ParkedRecord, { kind: 'item' }>): void {
    let list = audits.get(sub);
    if (list === undefined) audits.set(sub, (list = []));
    list.push({ parkedOffset: offset, deliveriesOffset: record.deliveriesOffset, value: record.value.toString('utf8') });
  }

  /** Backlog items passed over (while parked, or while the partition was scanned) are read again for their drain. */
  private rewind(gen: DeliveryGeneration, partition: number): void {
    const from = gen.book(partition).rereadFrom();
    if (from === null || from >= (gen.parkedNext.get(partition) ?? 0n)) return;
    gen.parkedNext.set(partition, from);
    this.consumer.seek({ topic: this.o.parkedTopic, partition, offset: String(from) });
  }

  private queueChecks(gen: DeliveryGeneration, partition: number): void {
    for (const [sub, s] of gen.book(partition).entries()) if (s.phase !== 'parked') this.queueCheck(gen, partition, sub);
  }

  /** A second copy of an item this generation already took or the stream's mark says was delivered (same stream and telemetry origin). */
  private isRepeat(gen: DeliveryGeneration, item: DeliveryItem): boolean {
    // Per batch stream: its items leave in order, so everything of one origin partition up to a delivered item was delivered.
    const key = `${streamKeyOf(item)}\u0000${item.origin.topic}\u0000${item.origin.partition}`;
    const origin = BigInt(item.origin.offset);
    const seen = gen.originSeen.get(key);
    if (seen !== undefined && origin <= seen) {
      this.o.logger.debug('skipping a repeated item (telemetry re-processed)', { subscriptionId: item.subscriptionId, origin: item.origin });
      return true;
    }
    gen.originSeen.set(key, origin);
    return false;
  }

  /** Dedupe marks of streams this generation has not seen yet, in one round trip. */
  private async loadMarks(gen: DeliveryGeneration, items: readonly { item: DeliveryItem | null }[]): Promise<void> {
    const missing = new Set<string>();
    for (const { item } of items) if (item !== null && !gen.delivered.has(streamKeyOf(item))) missing.add(streamKeyOf(item));
    for (const [k, v] of await this.o.marks.load([...missing])) {
      gen.delivered.set(k, v.offset);
      // The origin of the last delivered item: later copies of it (and of anything before it from that origin) are repeats.
      if (v.origin !== null) {
        const key = `${k}\u0000${v.origin.topic}\u0000${v.origin.partition}`;
        const o = BigInt(v.origin.offset);
        if ((gen.originSeen.get(key) ?? -1n) < o) gen.originSeen.set(key, o);
      }
    }
  }

  /** Runs `task` as the subscription's next serial step, after any request an earlier generation still has in flight. */
  private serial(gen: DeliveryGeneration, sub: string, task: () => Promise<TaskResult>): Promise<TaskResult> {
    return gen.queue.run(sub, async () => {
      await this.running.get(sub)?.catch(() => undefined);
      const p = task();
      this.running.set(sub, p);
      try {
        return await p;
      } finally {
        if (this.running.get(sub) === p) this.running.delete(sub);
      }
    });
  }

  /** A live batch: appended to the backlog while the subscription is parked; else delivered, and parked when that fails. */
  private enqueue(gen: DeliveryGeneration, batch: ClosedBatch): void {
    const sub = batch.subscriptionId;
    const partition = batch.items[0]?.partition ?? 0;
    const task = async (): Promise<TaskResult> => {
      const book = gen.book(partition);
      const parking = book.get(sub);
      if (parking !== undefined) {
        // Also when deactivated meanwhile: appended behind the closing marker, the item is audited, not dropped.
        if (this.o.catalogue.get(sub) === undefined) return { kind: 'skipped', reason: 'subscription deleted' };
        const records: ParkedRecord[] = batch.items.map((p) => ({ kind: 'item', episodeId: parking.episodeId, deliveriesOffset: String(p.offset), value: p.value ?? Buffer.alloc(0) }));
        const last = await this.durably(gen, () => this.o.parking.writeParked(partition, sub, records));
        if (last === null) return { kind: 'abandoned' };
        book.appended(sub, last, batch.items.length);
        this.o.deps.metrics.itemsParked.inc(batch.items.length);
        this.o.deps.recorder.parking(sub, { backlogSize: book.get(sub)?.backlog ?? null });
        // No longer pending here (a closing episode ends only when nothing of the subscription is pending).
        gen.addDepth(sub, -batch.items.length);
        if (book.get(sub)?.phase === 'closing') this.queueCheck(gen, partition, sub);
        return { kind: 'handed', depthDone: true };
      }
      const depth = (): number => Math.max(0, (gen.depth.get(sub) ?? 0) - batch.items.length);
      const result = await deliverBatch(this.o.deps, batch, { stop: gen.stop, kill: gen.kill, queueDepth: depth });
      if (result.kind === 'delivered') await this.markDelivered(batch);
      if (result.kind !== 'failed') return result;
      const parked = await this.park(gen, partition, batch, result.failure, null);
      if (!parked) return { kind: 'abandoned' };
      // The head is in its ticket now: not pending here (see endEpisode).
      gen.addDepth(sub, -batch.items.length);
      return { kind: 'handed', depthDone: true };
    };
    this.serial(gen, sub, task).then(
      (result) => this.finish(gen, batch, result),
      (err: unknown) => {
        if (!gen.ended) this.o.logger.error('delivery task failed', { subscriptionId: sub, err: errorMessage(err) });
      },
    );
  }

  /** The dedupe mark is written before the stream's next request can start. */
  private async markDelivered(batch: ClosedBatch): Promise<void> {
    const last = batch.items[batch.items.length - 1];
    if (last !== undefined) await this.o.marks.mark(streamKeyOf(last.item), last.offset, last.item.origin);
  }

  /**
   * The head failed its quick retries (or a drain request failed): a new episode. The
   * ticket goes first, then the begin marker — a crash between them leaves a ticket whose
   * head is read again and parked anew (same webhook-id), never a parked subscription
   * without a ticket. A limit reached at once (410 Gone) writes the begin marker first,
   * then the audit and `closed`. `backlogAfter`: set when the head came from a drain.
   */
  private async park(gen: DeliveryGeneration, partition: number, batch: ClosedBatch, failure: RequestFailure, backlogAfter: bigint | null): Promise<boolean> {
    const sub = batch.subscriptionId;
    const stored = this.o.catalogue.get(sub);
    if (stored === undefined) return true;
    const book = gen.book(partition);
    const ticket: RetryTicket = {
      v: 1, subscriptionId: sub, episodeId: episodeIdFor(sub, failure.webhookId), retryCount: 0, firstFailureAtMs: failure.firstFailureAtMs,
      retryPolicy: stored.retryPolicy, webhookId: failure.webhookId, lastError: failure.error, lastStatusCode: failure.statusCode,
      items: batch.items.map((p) => ({ deliveriesOffset: String(p.offset), value: (p.value ?? Buffer.alloc(0)).toString('utf8') })),
    };
    const backlog = (book.get(sub)?.backlog ?? 0) + Math.max(0, (gen.depth.get(sub) ?? 0) - batch.items.length);
    const plan = this.o.parking.plan(ticket, failure, backlog);
    const headOffsets = batch.items.map((p) => p.offset);
    const headThrough = headOffsets.reduce((a, b) => Math.max(a, b), 0);
    const inHead = backlogAfter === null ? [] : batch.items.flatMap((p) => (p.parkedOffset === undefined ? [] : [p.parkedOffset]));
    const begin: ParkedRecord = {
      kind: 'begin', episodeId: ticket.episodeId, headThroughOffset: String(headThrough), headDeliveriesOffsets: headOffsets.map(String), firstFailureAtMs: ticket.firstFailureAtMs,
      ...(backlogAfter === null ? {} : { backlogAfter: String(backlogAfter), headParkedOffsets: inHead.map(String) }),
    };
    const writeBegin = async (): Promise<boolean> => {
      const marker = await this.durably(gen, () => this.o.parking.writeParked(partition, sub, [begin]));
      if (marker === null) return false;
      book.begin(sub, { episodeId: ticket.episodeId, markerOffset: marker, headOffsets, ...(backlogAfter === null ? {} : { backlogAfter, inHead }) });
      // The next drain starts afresh from the cursor (this generation's queue of the old drain is void).
      gen.drainQueued.delete(sub);
      return true;
    };
    this.o.deps.metrics.parkingEpisodes.inc();
    this.o.logger.warn('parking a subscription', { subscriptionId: sub, episodeId: ticket.episodeId, reason: failure.error, items: batch.items.length, plan: plan.kind });
    if (plan.kind === 'retry') {
      const ok = await this.durably(gen, () => this.o.parking.headFailed(partition, ticket, plan, backlog));
      return ok !== null && (await writeBegin());
    }
    if (!(await writeBegin())) return false;
    return (await this.durably(gen, () => this.o.parking.headFailed(partition, ticket, plan, backlog))) !== null;
  }

  /** A drain request: the next items of a draining backlog, in order. */
  private enqueueDrain(gen: DeliveryGeneration, partition: number, batch: ClosedBatch): void {
    const sub = batch.subscriptionId;
    const task = async (): Promise<TaskResult> => {
      const book = gen.book(partition);
      const s = book.get(sub);
      if (s?.phase !== 'draining') return { kind: 'handed' };
      const items = batch.items.filter((p) => (p.parkedOffset ?? -1n) > s.cursor);
      if (items.length === 0) return { kind: 'handed' };
      const request: ClosedBatch = { ...batch, items };
      const result = await deliverBatch(this.o.deps, request, { stop: gen.stop, kill: gen.kill, queueDepth: () => book.get(sub)?.backlog ?? 0 });
      if (result.kind === 'delivered') {
        await this.markDelivered(request);
        this.o.deps.metrics.itemsDrained.inc(items.length);
        this.finishedItems(gen, partition, sub, batch.items.map((p) => p.parkedOffset ?? -1n));
        if (book.complete(sub)) await this.endEpisode(gen, partition, sub);
        else await this.recordProgress(gen, partition, sub, items);
        return result;
      }
      if (result.kind !== 'failed') return result;
      // The failing request is the new head; the rest of the backlog stays where it is, behind it.
      // Items of other streams before it that are not finished stay backlog too: the cursor is the gap-free one.
      const through = gen.drainTracker(sub).committable();
      const parked = await this.park(gen, partition, request, result.failure, through === null ? s.cursor : BigInt(through) - 1n);
      return parked ? { kind: 'handed' } : { kind: 'abandoned' };
    };
    this.serial(gen, sub, task).then(
      (result) => {
        if (result.kind !== 'abandoned') this.finishDrain(gen, partition, batch.items.length);
      },
      (err: unknown) => {
        if (!gen.ended) this.o.logger.error('drain task failed', { subscriptionId: sub, err: errorMessage(err) });
      },
    );
  }

  /** The drain's progress goes to `webhook.parked`, so a new owner resumes it there instead of delivering the backlog again. */
  private async recordProgress(gen: DeliveryGeneration, partition: number, sub: string, delivered: readonly PendingItem[]): Promise<void> {
    const book = gen.book(partition);
    const s = book.get(sub);
    if (s === undefined) return;
    const finished = [...s.inHead, ...delivered.flatMap((p) => (p.parkedOffset === undefined ? [] : [p.parkedOffset]))].filter((o) => o > s.cursor);
    book.progress(sub, s.episodeId, { cursor: s.cursor, finished, backlog: s.backlog });
    const record: ParkedRecord = { kind: 'progress', episodeId: s.episodeId, cursor: String(s.cursor), finished: [...new Set(finished)].map(String), backlog: s.backlog };
    await this.durably(gen, () => this.o.parking.writeParked(partition, sub, [record]));
  }

  /** A closing backlog's items go to the audit topic (the subscription was deactivated). */
  private enqueueAudit(gen: DeliveryGeneration, partition: number, sub: string, items: readonly { parkedOffset: bigint; deliveriesOffset: string; value: string }[]): void {
    gen.addDrainOpen(partition, items.length);
    const task = async (): Promise<TaskResult> => {
      const closing = gen.closing.get(sub);
      const reason = closing?.reason ?? 'deactivated';
      const done = await this.durably(gen, () => this.o.parking.audit(partition, sub, items, reason));
      if (done === null) return { kind: 'abandoned' };
      this.o.deps.metrics.itemsAudited.inc(items.length);
      this.finishedItems(gen, partition, sub, items.map((i) => i.parkedOffset));
      if (closing !== undefined) closing.audited += items.length;
      if (gen.book(partition).complete(sub)) await this.endEpisode(gen, partition, sub);
      return { kind: 'handed' };
    };
    this.serial(gen, sub, task).then(
      () => this.finishDrain(gen, partition, items.length),
      (err: unknown) => {
        if (!gen.ended) this.o.logger.error('audit task failed', { subscriptionId: sub, err: errorMessage(err) });
      },
    );
  }

  /** Backlog items finished (delivered or audited): the cursor moves over those finished without a gap. */
  private finishedItems(gen: DeliveryGeneration, partition: number, sub: string, parkedOffsets: readonly bigint[]): void {
    const tracker = gen.drainTracker(sub);
    for (const o of parkedOffsets) tracker.complete(Number(o));
    const next = tracker.committable();
    if (next !== null) gen.book(partition).finished(sub, BigInt(next) - 1n, parkedOffsets.length);
  }

  private finishDrain(gen: DeliveryGeneration, partition: number, items: number): void {
    gen.addDrainOpen(partition, -items);
  }

  /** Queues an end-of-episode check behind the subscription's work (an empty backlog ends at once). */
  private queueCheck(gen: DeliveryGeneration, partition: number, sub: string): void {
    if (gen.checks.has(sub)) return;
    gen.checks.add(sub);
    const task = async (): Promise<TaskResult> => {
      gen.checks.delete(sub);
      if (gen.book(partition).complete(sub)) await this.endEpisode(gen, partition, sub);
      return { kind: 'handed' };
    };
    this.serial(gen, sub, task).catch((err: unknown) => {
      if (!gen.ended) this.o.logger.error('episode check failed', { subscriptionId: sub, err: errorMessage(err) });
    });
  }

  /** Every item of the episode is finished: `drained`, and live delivery resumes (or the deactivation is announced). */
  private async endEpisode(gen: DeliveryGeneration, partition: number, sub: string): Promise<void> {
    const book = gen.book(partition);
    const s = book.get(sub);
    if (s === undefined) return;
    // Items read while the subscription was still failing and not yet appended must reach the audit first (their append queues a new check).
    if (s.phase === 'closing' && (gen.depth.get(sub) ?? 0) > 0) return;
    const marker = await this.durably(gen, () => this.o.parking.writeParked(partition, sub, [{ kind: 'drained', episodeId: s.episodeId }]));
    if (marker === null) return;
    book.end(sub, s.episodeId, marker);
    const closing = gen.closing.get(sub);
    gen.closing.delete(sub);
    if (s.phase === 'closing' && closing !== undefined) {
      const f = closing.facts;
      this.o.logger.warn('subscription deactivated; its backlog is in the audit topic', { subscriptionId: sub, audited: closing.audited, head: f.headItems });
      await this.durably(gen, () => this.o.parking.emit(sub, {
        kind: 'deactivated',
        failure: { firstFailureAtMs: f.firstFailureAtMs, lastError: f.lastError, lastStatusCode: f.lastStatusCode, backlogSize: closing.audited, retryCount: f.retryCount },
        discarded: { items: f.headItems + closing.audited, topic: this.o.parking.topics.audit },
      }));
      return;
    }
    this.o.logger.info('backlog drained: live delivery resumes', { subscriptionId: sub, episodeId: s.episodeId });
    this.o.deps.recorder.parking(sub, { tier: null, nextRetryAt: null, firstFailureAt: null, backlogSize: 0 });
    await this.durably(gen, () => this.o.parking.changeState(sub, { kind: 'recovered' }));
  }

  /** Retries a write to Kafka until it succeeds or the generation ends (null). Order depends on it: nothing may pass a failed write. */
  private async durably<T>(gen: DeliveryGeneration, write: () => Promise<T>): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      if (gen.ended) return null;
      try {
        return await write();
      } catch (err) {
        this.o.logger.warn('a parking write failed; retrying', { err: errorMessage(err), attempt });
        await sleep(Math.min(5_000, 200 * 2 ** attempt), gen.stop);
      }
    }
  }

  private finish(gen: DeliveryGeneration, batch: ClosedBatch, result: TaskResult): void {
    if (result.kind === 'abandoned') return;
    if (result.kind === 'skipped') this.o.logger.info('items not delivered', { subscriptionId: batch.subscriptionId, reason: result.reason, items: batch.items.length });
    if (!(result.kind === 'handed' && result.depthDone === true)) gen.addDepth(batch.subscriptionId, -batch.items.length);
    for (const p of batch.items) gen.tracker(p.partition).complete(p.offset);
  }

  private tick(): void {
    const gen = this.gen;
    if (gen === null || gen.ended) return;
    for (const closed of gen.batches.due(Date.now())) this.enqueue(gen, closed);
    for (const closed of gen.drainBatches.due(Date.now())) this.enqueueDrain(gen, closed.items[0]?.partition ?? 0, closed);
    for (const partition of gen.paused) {
      if (gen.tracker(partition).open > this.o.maxOpenItemsPerPartition / 2) continue;
      gen.paused.delete(partition);
      this.consumer.resume([{ topic: this.o.topic, partitions: [partition] }]);
    }
    for (const partition of gen.parkedPaused) {
      if ((gen.drainOpen.get(partition) ?? 0) > this.o.maxOpenItemsPerPartition / 2) continue;
      gen.parkedPaused.delete(partition);
      this.consumer.resume([{ topic: this.o.parkedTopic, partitions: [partition] }]);
    }
    const m = this.o.deps.metrics;
    m.openItems.set(this.openItems);
    m.pausedPartitions.set(gen.paused.size);
    const phases = { parked: 0, draining: 0, closing: 0 };
    for (const book of gen.books.values()) for (const [, e] of book.entries()) phases[e.phase]++;
    for (const [phase, n] of Object.entries(phases)) m.parkedSubscriptions.set({ phase }, n);
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
    const parked: { partition: number; offset: bigint }[] = [];
    for (const [partition, read] of gen.parkedNext) {
      if (gen.scanning.has(partition)) continue;
      const floor = gen.book(partition).floor();
      const next = floor !== null && floor < read ? floor : read;
      if (next <= (gen.parkedCommitted.get(partition) ?? -1n)) continue;
      parked.push({ partition, offset: next });
      offsets.push({ topic: this.o.parkedTopic, partition, offset: String(next) });
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const o of offsets) if (o.topic === this.o.topic) gen.committed.set(o.partition, Number(o.offset));
      for (const p of parked) gen.parkedCommitted.set(p.partition, p.offset);
    } catch (err) {
      this.o.logger.warn('offset commit failed; will retry', { topic: this.o.topic, err: errorMessage(err) });
    }
  }
}
