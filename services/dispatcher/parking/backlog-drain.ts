import type { Logger } from '../../shared/logger.js';
import type { SubscriptionCatalogue } from '../../shared/subscriptions/subscription-catalogue.js';
import { BatchAccumulator, streamKeyOf } from '../deliver/batch-accumulator.js';
import type { ClosedBatch, PendingItem } from '../deliver/batch-accumulator.js';
import { deliverBatch } from '../deliver/deliver-batch.js';
import type { BatchDeliveryDeps } from '../deliver/deliver-batch.js';
import type { DeliveryGeneration, TaskResult } from '../live/delivery-generation.js';
import type { DeliveryItem } from '../delivery-item.js';
import { markDelivered } from '../live/delivered-marks.js';
import type { DeliveredMarks } from '../live/delivered-marks.js';
import type { HeadParking } from './head-parking.js';
import { compareOffsets } from '../live/offset-order.js';
import { OffsetTracker } from '../live/offset-tracker.js';
import { DrainQueue } from './drain-queue.js';
import { ExactRequests } from './exact-requests.js';
import type { ClosedFacts, ExactRequest, ParkedRecord } from './parked-record.js';
import type { ParkingIo } from './parking-io.js';
import type { RecoveryRange } from './parking-book.js';

export interface BacklogDrainOptions {
  readonly catalogue: SubscriptionCatalogue;
  readonly deps: BatchDeliveryDeps;
  readonly parking: ParkingIo;
  readonly marks: DeliveredMarks;
  readonly logger: Logger;
}

/** A backlog item on its way to the audit topic. */
export interface AuditItem {
  readonly parkedOffset: bigint;
  readonly deliveriesOffset: string;
  readonly value: string;
}

/** An item's telemetry origin offset and its deliveries offset. */
interface OriginMark {
  readonly origin: string;
  readonly offset: number;
}

/** The longest a partial drain batch waits for more backlog items (normally it goes when the partition is read to its end). */
const drainBatchWaitMs = 1_000;

/**
 * The second half of an episode, for one generation: delivers a recovered subscription's
 * backlog in order (batched by its `maxItems`, GPS one vehicle per request), or audits a
 * deactivated one's, each step inside the subscription's serial queue. The cursor moves
 * only over items finished without a gap; after each delivered request the progress goes
 * to `webhook.parked`; when every item seen is finished the episode ends with `drained`
 * and live delivery resumes (or the deactivation is announced). A drain request that fails
 * becomes the head of a new episode.
 */
export class BacklogDrain {
  private readonly batches = new BatchAccumulator();
  /**
   * Backlog items queued for a drain or audit, per subscription, by parked offset: a
   * subscription's cursor moves only over items finished without a gap (GPS drains run one
   * request per vehicle, so a later request may finish before an earlier item of another vehicle).
   */
  private readonly queued = new Map<string, OffsetTracker>();
  /** Items handed to drain or audit requests and not finished, per partition (back-pressure). */
  private readonly open = new Map<number, number>();
  /** Drain batches not started yet: a request is made up when its task starts (see DrainQueue). */
  private readonly waiting = new DrainQueue();
  /** Per episode and stream, the highest deliveries offset a drain request of this generation delivered. */
  private readonly sentThrough = new Map<string, number>();
  /** Per episode, stream and telemetry origin partition: the highest origin delivered, and that item's deliveries offset. */
  private readonly originSent = new Map<string, OriginMark>();
  private readonly sentListeners: ((items: readonly PendingItem[]) => void)[] = [];
  /** Earlier owners' requests appended whole, gathered to go as they were. */
  private readonly exact = new ExactRequests(drainBatchWaitMs);
  /** Subscriptions with an end-of-episode check queued. */
  private readonly checks = new Set<string>();
  /** Items finished (delivered or audited) per subscription in this generation: the drain watch's sign of life. */
  private readonly finishedCount = new Map<string, number>();
  /** Closing subscriptions: why, and how many backlog items the audit has written. */
  private readonly closing = new Map<string, { readonly reason: string; readonly facts: ClosedFacts; audited: number }>();

  constructor(
    private readonly o: BacklogDrainOptions,
    private readonly gen: DeliveryGeneration,
    private readonly heads: HeadParking,
  ) {}

  openOf(partition: number): number {
    return this.open.get(partition) ?? 0;
  }

  /** Items of the subscription finished (delivered or audited) in this generation. */
  finishedOf(subscriptionId: string): number {
    return this.finishedCount.get(subscriptionId) ?? 0;
  }

  /** What the drain holds of a subscription (a stalled drain's warning shows it). */
  describe(partition: number, subscriptionId: string): Record<string, number | null> {
    const tracker = this.queued.get(subscriptionId);
    return {
      openItemsOfPartition: this.openOf(partition),
      batchesWaiting: this.waiting.sizeOf(subscriptionId),
      itemsGathering: this.batches.openItems,
      itemsQueuedUnfinished: tracker?.open ?? 0,
      firstUnfinishedParkedOffset: tracker?.committable() ?? null,
    };
  }

  /** A backlog item read from `webhook.parked` (any route): registered so the cursor waits for it. */
  register(subscriptionId: string, parkedOffset: bigint): void {
    this.tracker(subscriptionId).register(Number(parkedOffset));
  }

  /** A new episode began: its drain starts afresh from the cursor. */
  resetQueued(subscriptionId: string): void {
    this.queued.delete(subscriptionId);
  }

  recoveryBegan(recoveryId: string): void {
    this.o.parking.recoveryBegan(recoveryId);
  }

  startClosing(subscriptionId: string, reason: string, facts: ClosedFacts): void {
    this.closing.set(subscriptionId, { reason, facts, audited: 0 });
  }

  /** A backlog item to deliver; full batches go at once, partial ones when the partition is read to its end (or after drainBatchWaitMs). */
  add(partition: number, subscriptionId: string, parkedOffset: bigint, deliveriesOffset: string, item: DeliveryItem, value: Buffer, request?: ExactRequest): void {
    this.addOpen(partition, 1);
    this.register(subscriptionId, parkedOffset);
    const entry: PendingItem = { item, partition, offset: Number(deliveriesOffset), value, parkedOffset };
    if (request !== undefined) {
      // An earlier owner's request, appended whole: what its stream has open goes first, then the request as it was.
      const before = this.batches.closeStreamOf(item);
      if (before !== null) this.enqueue(partition, before);
      const whole = this.exact.add(entry, request, Date.now());
      if (whole !== null) this.enqueue(partition, whole);
      return;
    }
    const maxItems = this.o.catalogue.get(subscriptionId)?.batching.maxItems ?? 500;
    const closed = this.batches.add(entry, { maxItems, maxWaitMs: drainBatchWaitMs }, Date.now());
    if (closed !== null) this.enqueue(partition, closed);
  }

  /** The partition is read to its end: partial batches go now (an exact request still gathering waits for its own items). */
  flush(): void {
    for (const closed of this.batches.drain()) this.enqueue(closed.items[0]?.partition ?? 0, closed);
  }

  tick(nowMs: number): void {
    for (const closed of [...this.batches.due(nowMs), ...this.exact.due(nowMs)]) this.enqueue(closed.items[0]?.partition ?? 0, closed);
  }

  /** A drain request: the next items of a draining backlog, in order. */
  private enqueue(partition: number, batch: ClosedBatch): void {
    const sub = batch.subscriptionId;
    this.waiting.push(batch);
    const task = async (): Promise<TaskResult> => {
      const book = this.gen.book(partition);
      const s = book.get(sub);
      const taken = this.waiting.take(batch, s?.phase === 'draining' ? (this.o.catalogue.get(sub)?.batching.maxItems ?? 500) : null);
      if (taken === null) return { kind: 'handed' };
      if (s?.phase !== 'draining') {
        // A new episode began (a drain request failed) or this one ended: its drain re-reads the backlog from its cursor.
        this.o.logger.info('drain request dropped: the episode is no longer draining', { subscriptionId: sub, partition, phase: s?.phase ?? null, items: taken.items.length });
        return { kind: 'handed' };
      }
      const fresh = taken.items.filter((p) => (p.parkedOffset ?? -1n) > s.cursor);
      const items = this.firstCopies(s.episodeId, fresh);
      if (items.length < fresh.length) {
        this.o.logger.warn('skipping second copies of backlog items (a parking write retried after it had landed, or telemetry re-processed)', { subscriptionId: sub, partition, items: fresh.length - items.length });
      }
      if (items.length === 0) {
        if (fresh.length === 0) return { kind: 'handed' };
        this.finished(partition, sub, fresh.map((p) => p.parkedOffset ?? -1n));
        if (book.complete(sub)) await this.endEpisode(partition, sub);
        return { kind: 'handed' };
      }
      const request: ClosedBatch = { ...taken, items };
      const result = await deliverBatch(this.o.deps, request, { stop: this.gen.stop, kill: this.gen.kill, retries: this.gen.retries, queueDepth: () => book.get(sub)?.backlog ?? 0 });
      if (result.kind === 'delivered') {
        await markDelivered(this.o.marks, request);
        this.sent(s.episodeId, items);
        this.o.deps.metrics.itemsDrained.inc(items.length);
        this.countRecovered(s.recovery, items);
        this.finished(partition, sub, taken.items.map((p) => p.parkedOffset ?? -1n));
        if (book.complete(sub)) await this.endEpisode(partition, sub);
        else await this.recordProgress(partition, sub, items);
        return result;
      }
      if (result.kind === 'skipped') this.o.logger.info('drain request not delivered', { subscriptionId: sub, partition, reason: result.reason, items: items.length });
      if (result.kind !== 'failed') return result;
      // The failing request is the new head; the rest of the backlog stays where it is, behind it.
      // Items of other streams before it that are not finished stay backlog too: the cursor is the gap-free one.
      const through = this.tracker(sub).committable();
      const parked = await this.heads.park(partition, request, result.failure, through === null ? s.cursor : BigInt(through) - 1n);
      return parked ? { kind: 'handed' } : { kind: 'abandoned' };
    };
    this.gen.background(sub, 'drain task', task, (result) => {
      if (result.kind !== 'abandoned') this.addOpen(partition, -batch.items.length);
    });
  }

  /**
   * The items of a drain request not sent before in this episode. Within an episode a
   * stream's backlog items are in deliveries-offset order, so one at or below what the
   * stream already sent is a second copy: a write to `webhook.parked` that failed over
   * (a broker lost) and was retried after it had landed. So is one whose telemetry origin
   * an item at a lower deliveries offset already carried (sent before, or earlier in this
   * request): the match stage re-processed that telemetry after a crash, and the copy
   * reached the backlog before this owner knew of the original.
   */
  private firstCopies(episodeId: string, items: readonly PendingItem[]): PendingItem[] {
    const seen = new Map<string, OriginMark>();
    return items.filter((p) => {
      const stream = `${episodeId}/${streamKeyOf(p.item)}`;
      if (p.offset <= (this.sentThrough.get(stream) ?? -1)) return false;
      const key = `${stream}/${p.item.origin.topic}/${p.item.origin.partition}`;
      const before = seen.get(key) ?? this.originSent.get(key);
      if (before !== undefined && p.offset > before.offset && compareOffsets(p.item.origin.offset, before.origin) <= 0) return false;
      if (before === undefined || compareOffsets(p.item.origin.offset, before.origin) > 0) seen.set(key, { origin: p.item.origin.offset, offset: p.offset });
      return true;
    });
  }

  /** Called with the items of each delivered drain request (the live router learns their telemetry origins from it). */
  onSent(listener: (items: readonly PendingItem[]) => void): void {
    this.sentListeners.push(listener);
  }

  private sent(episodeId: string, items: readonly PendingItem[]): void {
    for (const listener of this.sentListeners) listener(items);
    for (const p of items) {
      const key = `${episodeId}/${streamKeyOf(p.item)}`;
      this.sentThrough.set(key, Math.max(this.sentThrough.get(key) ?? -1, p.offset));
      const originKey = `${key}/${p.item.origin.topic}/${p.item.origin.partition}`;
      const before = this.originSent.get(originKey);
      if (before === undefined || compareOffsets(p.item.origin.offset, before.origin) > 0) this.originSent.set(originKey, { origin: p.item.origin.offset, offset: p.offset });
    }
  }

  /** A closing backlog's items go to the audit topic (the subscription was deactivated). */
  audit(partition: number, sub: string, items: readonly AuditItem[]): void {
    this.addOpen(partition, items.length);
    const task = async (): Promise<TaskResult> => {
      const closing = this.closing.get(sub);
      const episodeId = this.gen.book(partition).get(sub)?.episodeId;
      const done = await this.gen.durably(() => this.o.parking.audit(partition, sub, items, closing?.reason ?? 'deactivated', episodeId));
      if (done === null) return { kind: 'abandoned' };
      this.o.deps.metrics.itemsAudited.inc(items.length);
      this.finished(partition, sub, items.map((i) => i.parkedOffset));
      if (closing !== undefined) closing.audited += items.length;
      if (this.gen.book(partition).complete(sub)) await this.endEpisode(partition, sub);
      return { kind: 'handed' };
    };
    this.gen.background(sub, 'audit task', task, () => this.addOpen(partition, -items.length));
  }

  /** Backlog items finished (delivered or audited): the cursor moves over those finished without a gap. */
  finished(partition: number, sub: string, parkedOffsets: readonly bigint[]): void {
    this.finishedCount.set(sub, this.finishedOf(sub) + parkedOffsets.length);
    const tracker = this.tracker(sub);
    for (const o of parkedOffsets) tracker.complete(Number(o));
    const next = tracker.committable();
    if (next !== null) this.gen.book(partition).finished(sub, BigInt(next) - 1n, parkedOffsets.length);
  }

  /** End-of-episode checks for every draining or closing subscription of the partition. */
  checkAll(partition: number): void {
    for (const [sub, s] of this.gen.book(partition).entries()) if (s.phase !== 'parked') this.check(partition, sub);
  }

  /** Queues an end-of-episode check behind the subscription's work (an empty backlog ends at once). */
  check(partition: number, sub: string): void {
    if (this.checks.has(sub)) return;
    this.checks.add(sub);
    this.gen.background(sub, 'episode check', async () => {
      this.checks.delete(sub);
      if (this.gen.book(partition).complete(sub)) await this.endEpisode(partition, sub);
      return { kind: 'handed' };
    });
  }

  /** The drain's progress goes to `webhook.parked`, so a new owner resumes it there instead of delivering the backlog again. */
  private async recordProgress(partition: number, sub: string, delivered: readonly PendingItem[]): Promise<void> {
    const book = this.gen.book(partition);
    const s = book.get(sub);
    if (s === undefined) return;
    const finished = [...s.inHead, ...delivered.flatMap((p) => (p.parkedOffset === undefined ? [] : [p.parkedOffset]))].filter((o) => o > s.cursor);
    book.progress(sub, s.episodeId, { cursor: s.cursor, finished, backlog: s.backlog }, false);
    const record: ParkedRecord = { kind: 'progress', episodeId: s.episodeId, cursor: String(s.cursor), finished: [...new Set(finished)].map(String), backlog: s.backlog };
    if ((await this.gen.durably(() => this.o.parking.writeParked(partition, sub, [record]))) !== null) book.progressWritten(sub, s.episodeId, s.cursor);
  }

  /** Every item of the episode is finished: `drained`, and live delivery resumes (or the deactivation is announced). */
  private async endEpisode(partition: number, sub: string): Promise<void> {
    const book = this.gen.book(partition);
    const s = book.get(sub);
    if (s === undefined) return;
    // Items read while the subscription was still failing and not yet appended must reach the audit first (their append queues a new check).
    if (s.phase === 'closing' && this.gen.depth(sub) > 0) return;
    const marker = await this.gen.durably(() => this.o.parking.writeParked(partition, sub, [{ kind: 'drained', episodeId: s.episodeId }]));
    if (marker === null) return;
    book.end(sub, s.episodeId, marker);
    const closing = this.closing.get(sub);
    this.closing.delete(sub);
    if (s.phase === 'closing' && closing !== undefined) {
      const f = closing.facts;
      this.o.logger.warn('subscription deactivated; its backlog is in the audit topic', { subscriptionId: sub, partition, audited: closing.audited, head: f.headItems });
      await this.gen.durably(() => this.o.parking.emit(sub, {
        kind: 'deactivated',
        failure: { firstFailureAtMs: f.firstFailureAtMs, lastError: f.lastError, lastStatusCode: f.lastStatusCode, backlogSize: closing.audited, retryCount: f.retryCount },
        discarded: { items: f.headItems + closing.audited, topic: this.o.parking.topics.audit },
      }));
      return;
    }
    this.o.logger.info('backlog drained: live delivery resumes', { subscriptionId: sub, partition, episodeId: s.episodeId });
    this.o.deps.recorder.parking(sub, { tier: null, nextRetryAt: null, firstFailureAt: null, backlogSize: 0 });
    await this.gen.durably(() => this.o.parking.changeState(sub, { kind: 'recovered' }));
  }

  /** How many of a delivered drain request's items a recovery wrote back (status only). */
  private countRecovered(recovery: RecoveryRange | null, delivered: readonly PendingItem[]): void {
    if (recovery === null) return;
    const n = delivered.filter((p) => p.parkedOffset !== undefined && p.parkedOffset >= recovery.first && p.parkedOffset <= recovery.last).length;
    if (n > 0) this.o.parking.recoveredItems(recovery.episodeId, n);
  }

  private tracker(subscriptionId: string): OffsetTracker {
    let t = this.queued.get(subscriptionId);
    if (t === undefined) this.queued.set(subscriptionId, (t = new OffsetTracker()));
    return t;
  }

  private addOpen(partition: number, items: number): void {
    this.open.set(partition, this.openOf(partition) + items);
  }
}

