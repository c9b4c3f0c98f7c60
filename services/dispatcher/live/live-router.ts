import type { Logger } from '../../shared/logger.js';
import type { SubscriptionCatalogue } from '../../shared/subscriptions/subscription-catalogue.js';
import type { StoredSubscription } from '../../shared/subscriptions/subscription-types.js';
import { BatchAccumulator, streamKeyOf } from '../deliver/batch-accumulator.js';
import type { ClosedBatch, PendingItem } from '../deliver/batch-accumulator.js';
import type { BacklogDrain } from '../parking/backlog-drain.js';
import { deliverBatch, deliverable } from '../deliver/deliver-batch.js';
import type { BatchDeliveryDeps } from '../deliver/deliver-batch.js';
import { markDelivered } from './delivered-marks.js';
import type { DeliveredMarks } from './delivered-marks.js';
import type { DeliveryGeneration, FetchedBatch, PartitionControl, StillCurrent, TaskResult } from './delivery-generation.js';
import { readDeliveryItem } from '../delivery-item.js';
import type { HeadParking } from '../parking/head-parking.js';
import type { IntentLog } from '../intents/intent-log.js';
import type { IntentWriter } from '../intents/intent-writer.js';
import { LiveDedupe } from './live-dedupe.js';
import { OffsetTracker } from './offset-tracker.js';
import type { ParkedLogReader } from '../parking/parked-log-reader.js';
import type { ParkedRecord } from '../parking/parked-record.js';
import type { ParkingIo } from '../parking/parking-io.js';
import { routeLiveItem } from './route-live-item.js';
import type { LiveSubscriptionState } from './route-live-item.js';

export interface LiveRouterOptions {
  readonly topic: string;
  readonly catalogue: SubscriptionCatalogue;
  readonly deps: BatchDeliveryDeps;
  readonly parking: ParkingIo;
  readonly marks: DeliveredMarks;
  /** Where each request's composition is written before it is sent. */
  readonly intents: IntentWriter;
  readonly maxOpenItemsPerPartition: number;
  /** Records below the committed offset read back for their telemetry origins before the first item is routed. */
  readonly originLookbackRecords: number;
  readonly logger: Logger;
}

/**
 * Live delivery for one generation: reads `webhook.deliveries`, routes each item
 * (route-live-item.ts), batches per subscription, and runs each closed batch in the
 * subscription's serial queue — delivered, or appended to the backlog while the
 * subscription is parked, or parked when it fails its quick retries. Offsets are
 * committed per partition only up to the first item not finished; a partition with more
 * than the cap of unfinished items is paused until half of them are done.
 */
export class LiveRouter {
  // Up to 20 % early: ~2,000 GPS streams reporting on one tick would close in one instant.
  private readonly batches = new BatchAccumulator({ deadlineSpreadShare: 0.2 });
  private readonly trackers = new Map<number, OffsetTracker>();
  /** The first deliveries offset this generation read, per partition. */
  private readonly readFrom = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private readonly paused = new Set<number>();
  private readonly dedupe: LiveDedupe;
  /** Per partition, its end when this generation first read it: offsets below it are read again. */
  private readonly readAgainEnd = new Map<number, number>();
  /** Per partition, the offset this generation routes from (the committed one); what it reads below it gives origins only. */
  private readonly routeFrom = new Map<number, number>();

  constructor(
    private readonly o: LiveRouterOptions,
    private readonly gen: DeliveryGeneration,
    private readonly control: PartitionControl,
    private readonly reader: ParkedLogReader,
    private readonly heads: HeadParking,
    private readonly drain: BacklogDrain,
    private readonly intents: IntentLog,
  ) {
    this.dedupe = new LiveDedupe(o.marks, o.logger);
    // A drained item's telemetry origin counts as taken: a second copy of it (the match stage re-processed its
    // telemetry) read live after the drain is a repeat, also when Redis lost the marks (chaos seed 28).
    drain.onSent((items) => {
      for (const p of items) this.dedupe.took(streamKeyOf(p.item), p.item);
    });
    // So does a backlog item an earlier owner appended (chaos seed 22: second copies of parked items were appended
    // again after a SIGKILL, then drained under a new webhook-id).
    reader.onRebuiltItem((item) => this.dedupe.took(streamKeyOf(item), item));
  }

  get openItems(): number {
    let n = 0;
    for (const t of this.trackers.values()) n += t.open;
    return n;
  }

  get pausedPartitions(): number {
    return this.paused.size;
  }

  async handleBatch(batch: FetchedBatch, current: StillCurrent): Promise<void> {
    // Not before the parked partition is read: the book must know every parked subscription first.
    if (this.reader.holdBack(batch)) return;
    // Nor before the intents are read: a request an earlier owner may have sent goes again exactly.
    if (this.intents.holdBack(batch)) return;
    if (this.readOrigins(batch)) return;
    const tracker = this.tracker(batch.partition);
    const book = this.gen.book(batch.partition);
    const streams: string[] = [];
    const items = batch.messages.map((message) => {
      const decoded = readDeliveryItem(message.value);
      if (decoded.kind === 'invalid') {
        this.o.logger.error('skipping a malformed delivery item', { topic: batch.topic, partition: batch.partition, offset: message.offset, reason: decoded.reason });
      }
      const item = decoded.kind === 'item' ? decoded.item : null;
      // Its batch stream, computed once per item (a key string per lookup was most of the dedupe's cost).
      const stream = item === null ? '' : streamKeyOf(item);
      if (item !== null) streams.push(stream);
      return { offset: Number(message.offset), item, stream, value: message.value, queuedAtMs: this.readAgainQueuedAt(batch, message) };
    });
    await this.dedupe.load(streams);
    const nowMs = Date.now();
    const audits = new Map<string, { offset: number; value: Buffer }[]>();
    // Asked once: nothing in the loop awaits, so the generation cannot change within it (kafkajs' staleness check cost ~1 % of the main thread per item).
    const stillCurrent = current();
    for (const { offset, item, stream, value, queuedAtMs } of items) {
      if (!stillCurrent) break;
      tracker.register(offset);
      if (!this.readFrom.has(batch.partition)) this.readFrom.set(batch.partition, offset);
      const readFrom = this.readFrom.get(batch.partition) ?? 0;
      const held = this.intents.holds(batch.partition, offset);
      const sub = item === null ? undefined : this.o.catalogue.get(item.subscriptionId);
      const route = item === null || value === null ? routeLiveItem({ malformed: true, inParking: false, subscription: 'gone', parked: false, delivered: false, repeat: false }) : routeLiveItem({
        malformed: false,
        inParking: book.routeLive(item.subscriptionId, offset) === 'skip',
        subscription: stateOf(sub),
        parked: book.get(item.subscriptionId) !== undefined,
        // Below the dedupe mark, or an item of a request an earlier owner finished (its intent says so; Redis may be wiped).
        delivered: this.dedupe.isDelivered(stream, offset) || (!held && this.intents.finished(batch.partition, offset)),
        // An item of a request an earlier owner may have sent is sent again with it, whatever its origin says.
        repeat: !held && this.dedupe.isRepeat(stream, item),
      });
      if (route.kind === 'audit' && item !== null && value !== null) {
        if (held) this.resend(this.intents.decide(batch.partition, offset, null, readFrom));
        const list = audits.get(item.subscriptionId) ?? [];
        list.push({ offset, value });
        audits.set(item.subscriptionId, list);
        continue;
      }
      if (route.kind !== 'take' || item === null || value === null || sub === undefined) {
        tracker.complete(offset);
        // An earlier owner took it into a head or backlog: a second copy of it read later is a repeat.
        if (route.kind === 'skip' && route.reason === 'in a head or backlog' && item !== null) this.dedupe.took(stream, item);
        if (held) this.resend(this.intents.decide(batch.partition, offset, null, readFrom));
        continue;
      }
      this.dedupe.took(stream, item);
      this.gen.addDepth(item.subscriptionId, 1);
      if (held) {
        this.resend(this.intents.decide(batch.partition, offset, { item, partition: batch.partition, offset, value }, readFrom));
        continue;
      }
      const entry: PendingItem = queuedAtMs === undefined ? { item, partition: batch.partition, offset, value } : { item, partition: batch.partition, offset, value, queuedAtMs };
      const closed = this.batches.add(entry, sub.batching, nowMs, stream);
      if (closed !== null) this.enqueue(closed, true);
    }
    for (const [sub, list] of audits) this.audit(batch.partition, sub, list);
    if (tracker.open > this.o.maxOpenItemsPerPartition && !this.paused.has(batch.partition)) {
      this.paused.add(batch.partition);
      this.control.pause(batch.topic, [batch.partition]);
      this.o.logger.info('pausing a partition: too many unfinished items', { topic: batch.topic, partition: batch.partition, open: tracker.open });
    }
  }

  /**
   * Before it routes a partition's first item, a generation reads back up to
   * `originLookbackRecords` records below where it starts (the committed offset) for their
   * telemetry origins only. Every item there is finished, and a second copy of one (the
   * match stage re-processed its telemetry) may lie above: with Redis's marks wiped, and the
   * original never read by this generation, the copy would go again under a new webhook-id
   * (cluster chaos seed 24). True when the batch is not to be routed (it was read for origins,
   * or a seek will fetch from elsewhere).
   */
  private readOrigins(batch: FetchedBatch): boolean {
    const first = batch.messages[0];
    if (first === undefined) return false;
    const partition = batch.partition;
    const from = this.routeFrom.get(partition);
    if (from === undefined) {
      const start = Number(first.offset);
      this.routeFrom.set(partition, start);
      const back = Math.max(0, start - this.o.originLookbackRecords);
      if (back >= start) return false;
      // Below the low watermark (retention), the consumer resets to the earliest offset: the same records, fewer.
      this.control.seek(batch.topic, partition, String(back));
      return true;
    }
    let read = 0;
    for (const message of batch.messages) {
      if (Number(message.offset) >= from) break;
      read++;
      const decoded = readDeliveryItem(message.value);
      if (decoded.kind === 'item') this.dedupe.took(streamKeyOf(decoded.item), decoded.item);
    }
    if (read === 0) return false;
    // The rest of a batch that crosses the start is fetched again from there (kafkajs calls this batch stale after the seek).
    if (read < batch.messages.length) this.control.seek(batch.topic, partition, String(from));
    return true;
  }

  /**
   * The queue time of an item this generation reads again (it was in the partition when the
   * generation took it over): its batch's window counts from then, so items an earlier owner
   * had waiting go at once instead of after a second window. Items that arrive later batch
   * as usual (undefined), also when the dispatcher lags: there the window keeps requests full.
   */
  private readAgainQueuedAt(batch: FetchedBatch, message: FetchedBatch['messages'][number]): number | undefined {
    let end = this.readAgainEnd.get(batch.partition);
    if (end === undefined) this.readAgainEnd.set(batch.partition, (end = Number(batch.highWatermark)));
    const queuedAtMs = Number(message.timestamp);
    return Number(message.offset) < end && Number.isFinite(queuedAtMs) ? queuedAtMs : undefined;
  }

  /** Closes due batches and resumes partitions whose unfinished items fell to half the cap. */
  tick(nowMs: number): void {
    for (const closed of this.batches.due(nowMs)) this.enqueue(closed, true);
    for (const partition of this.paused) {
      if (this.tracker(partition).open > this.o.maxOpenItemsPerPartition / 2) continue;
      this.paused.delete(partition);
      this.control.resume(this.o.topic, [partition]);
    }
  }

  /** Shutting down: every open batch goes now, so a graceful hand-over does not make its items wait a second batch window at the next owner. */
  flushAll(): void {
    for (const closed of this.batches.drain()) this.enqueue(closed, true);
  }

  /** Offsets to commit: per partition, the first offset whose item is not finished. */
  commitOffsets(): { partition: number; offset: number }[] {
    const out: { partition: number; offset: number }[] = [];
    for (const [partition, tracker] of this.trackers) {
      const next = tracker.committable();
      if (next !== null && next > (this.committed.get(partition) ?? -1)) out.push({ partition, offset: next });
    }
    return out;
  }

  committedAt(offsets: readonly { partition: number; offset: number }[]): void {
    for (const p of offsets) this.committed.set(p.partition, p.offset);
  }

  /** The deliveries offset committed last per partition (the intent log's floor follows it). */
  committedOffset(partition: number): number | undefined {
    return this.committed.get(partition);
  }

  /** An earlier owner's request, whole again: sent as it was (its intent is on record already). */
  private resend(batch: ClosedBatch | null): void {
    if (batch !== null) this.enqueue(batch, false);
  }

  /**
   * A live batch: appended to the backlog while the subscription is parked; else delivered,
   * and parked when that fails. A new request's intent (its items' offsets) is written first.
   */
  private enqueue(batch: ClosedBatch, fresh: boolean): void {
    const sub = batch.subscriptionId;
    const partition = batch.items[0]?.partition ?? 0;
    const task = async (): Promise<TaskResult> => {
      const parking = this.gen.book(partition).get(sub);
      if (parking !== undefined) return this.append(partition, batch, parking.episodeId, !fresh);
      // Deactivated while this request waited behind the head, and the episode is over: its items are audited, not dropped.
      if (this.o.catalogue.get(sub)?.state === 'deactivated') return this.writeAudit(partition, sub, batch.items.map((p) => ({ offset: p.offset, value: p.value ?? Buffer.alloc(0) })));
      const depth = (): number => Math.max(0, this.gen.depth(sub) - batch.items.length);
      if (fresh && (await this.gen.durably(() => this.o.intents.write(partition, sub, batch.items.map((p) => p.offset)))) === null) return { kind: 'abandoned' };
      const result = await deliverBatch(this.o.deps, batch, { stop: this.gen.stop, kill: this.gen.kill, retries: this.gen.retries, queueDepth: depth });
      if (result.kind === 'delivered') await markDelivered(this.o.marks, batch);
      if (result.kind !== 'failed') return result;
      if (!(await this.heads.park(partition, batch, result.failure, null))) return { kind: 'abandoned' };
      // The head is in its ticket now: not pending here (a closing episode ends only when nothing of the subscription is pending).
      this.gen.addDepth(sub, -batch.items.length);
      return { kind: 'handed', depthDone: true };
    };
    this.gen.background(sub, 'delivery task', task, (result) => this.finish(batch, result));
  }

  /** The subscription is parked: its items go behind the backlog, in order, once each. Also when deactivated meanwhile: appended behind the closing marker, they are audited, not dropped. */
  private async append(partition: number, batch: ClosedBatch, episodeId: string, exact: boolean): Promise<TaskResult> {
    const sub = batch.subscriptionId;
    const book = this.gen.book(partition);
    if (this.o.catalogue.get(sub) === undefined) return { kind: 'skipped', reason: 'subscription deleted' };
    // An earlier owner's request (it may have been sent): marked, so the drain sends it as it was, under its webhook-id.
    const request = exact ? { first: String(batch.items[0]?.offset ?? 0), items: batch.items.length } : undefined;
    const records: ParkedRecord[] = batch.items.map((p) => ({
      kind: 'item', episodeId, deliveriesOffset: String(p.offset), value: p.value ?? Buffer.alloc(0), ...(request === undefined ? {} : { request }),
    }));
    const last = await this.gen.durably(() => this.o.parking.writeParked(partition, sub, records));
    if (last === null) return { kind: 'abandoned' };
    book.appended(sub, last, batch.items.length);
    this.o.deps.metrics.itemsParked.inc(batch.items.length);
    this.o.deps.recorder.parking(sub, { backlogSize: book.get(sub)?.backlog ?? null });
    this.gen.addDepth(sub, -batch.items.length);
    if (book.get(sub)?.phase === 'closing') this.drain.check(partition, sub);
    return { kind: 'handed', depthDone: true };
  }

  /** Live items of a deactivated subscription whose episode is over go to the audit topic (written before their offsets complete). */
  private audit(partition: number, sub: string, items: readonly { offset: number; value: Buffer }[]): void {
    this.gen.background(sub, 'live audit', () => this.writeAudit(partition, sub, items), (result) => {
      if (result.kind !== 'abandoned') for (const i of items) this.tracker(partition).complete(i.offset);
    });
  }

  private async writeAudit(partition: number, sub: string, items: readonly { offset: number; value: Buffer }[]): Promise<TaskResult> {
    const done = await this.gen.durably(() => this.o.parking.audit(partition, sub, items.map((i) => ({ deliveriesOffset: String(i.offset), value: i.value.toString('utf8') })), 'deactivated'));
    if (done === null) return { kind: 'abandoned' };
    this.o.deps.metrics.itemsAudited.inc(items.length);
    return { kind: 'handed' };
  }

  private finish(batch: ClosedBatch, result: TaskResult): void {
    if (result.kind === 'abandoned') return;
    if (result.kind === 'skipped') this.o.logger.info('items not delivered', { subscriptionId: batch.subscriptionId, reason: result.reason, items: batch.items.length });
    if (!(result.kind === 'handed' && result.depthDone === true)) this.gen.addDepth(batch.subscriptionId, -batch.items.length);
    for (const p of batch.items) this.tracker(p.partition).complete(p.offset);
  }

  private tracker(partition: number): OffsetTracker {
    let t = this.trackers.get(partition);
    if (t === undefined) this.trackers.set(partition, (t = new OffsetTracker()));
    return t;
  }
}

function stateOf(sub: StoredSubscription | undefined): LiveSubscriptionState {
  if (sub === undefined) return 'gone';
  if (deliverable(sub)) return 'deliverable';
  return sub.state === 'paused' || sub.state === 'deactivated' ? sub.state : 'other';
}
