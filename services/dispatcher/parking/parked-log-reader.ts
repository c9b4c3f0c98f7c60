import { CatchUp } from '../../shared/kafka/catch-up.js';
import type { Logger } from '../../shared/logger.js';
import type { AuditItem } from './backlog-drain.js';
import type { DeliveryGeneration, FetchedBatch, PartitionControl, StillCurrent } from '../live/delivery-generation.js';
import { decodeDeliveryItem, readDeliveryItem } from '../delivery-item.js';
import type { DeliveryItem } from '../delivery-item.js';
import type { ClosedFacts } from './parked-record.js';
import { decodeParkedRecord } from './parked-record.js';
import type { ExactRequest, ParkedRecord } from './parked-record.js';

/** Where a partition's log ends and where the group has committed, per topic. */
export interface OffsetsSource {
  ends(topic: string): Promise<readonly { readonly partition: number; readonly low: string; readonly high: string }[]>;
  committed(topics: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<number, bigint>>>;
}

export interface ParkedLogReaderOptions {
  readonly deliveriesTopic: string;
  readonly parkedTopic: string;
  readonly maxOpenItemsPerPartition: number;
  readonly logger: Logger;
}

type Audits = Map<string, AuditItem[]>;

/** What the reader hands backlog items and episode checks to (the generation's BacklogDrain). */
export interface DrainSink {
  openOf(partition: number): number;
  register(subscriptionId: string, parkedOffset: bigint): void;
  /** A new episode began: what the old one had queued for its drain is void. */
  resetQueued(subscriptionId: string): void;
  add(partition: number, subscriptionId: string, parkedOffset: bigint, deliveriesOffset: string, item: DeliveryItem, value: Buffer, request?: ExactRequest): void;
  flush(): void;
  audit(partition: number, subscriptionId: string, items: readonly AuditItem[]): void;
  finished(partition: number, subscriptionId: string, parkedOffsets: readonly bigint[]): void;
  check(partition: number, subscriptionId: string): void;
  checkAll(partition: number): void;
  startClosing(subscriptionId: string, reason: string, facts: ClosedFacts): void;
  /** A recovery's marker was applied: the book routes the subscription's live items behind its items from now on. */
  recoveryBegan?(recoveryId: string): void;
}

/**
 * Reads `webhook.parked` for the owned partitions of one generation. After an assignment
 * it first reads each partition from the committed floor up to the end it had then (the
 * *scan*) — its deliveries wait meanwhile, so the parking book is whole before any live
 * item is routed. From then on it follows what the owner writes: it feeds recovered
 * backlogs to the drain and closing ones to the audit, and re-reads a partition from a
 * subscription's cursor when a drain needs items passed over while parked. The parked
 * offset committed is the book's floor: every open episode stays readable.
 */
export class ParkedLogReader {
  /** The scan: each owned partition is read up to the end it had at the assignment before it is whole. */
  private readonly scan = new CatchUp();
  /** Deliveries partitions held back (paused, to be re-read) until their parked partition is caught up. */
  private readonly heldBack = new Set<number>();
  /** Next offset to read, per partition. */
  private readonly next = new Map<number, bigint>();
  private readonly committed = new Map<number, bigint>();
  private readonly paused = new Set<number>();
  private readonly rebuiltListeners: ((item: DeliveryItem) => void)[] = [];

  constructor(
    private readonly o: ParkedLogReaderOptions,
    private readonly gen: DeliveryGeneration,
    private readonly control: PartitionControl,
    private readonly drain: DrainSink,
  ) {
    for (const p of gen.partitions) this.scan.hold(p);
  }

  /**
   * Called with each backlog item read while a partition is rebuilt: an earlier owner took
   * it, so the live router counts its telemetry origin as taken. A second copy of it (the
   * match stage re-processed its telemetry after a crash) read live later is then a repeat,
   * not a new backlog item, also when the original is below the committed deliveries offset
   * and is not read again.
   */
  onRebuiltItem(listener: (item: DeliveryItem) => void): void {
    this.rebuiltListeners.push(listener);
  }

  /** The partition's parked log is read up to where it ended at the assignment. */
  isWhole(partition: number): boolean {
    return this.gen.partitions.includes(partition) && !this.scan.isCatchingUp(partition);
  }

  /**
   * Where each owned partition must be read to before its deliveries may flow: its end now.
   * A partition whose committed position is already there is whole at once. Also tells the
   * books where live reading starts (items parked below it need not be remembered).
   */
  async startScan(offsets: OffsetsSource, sleep: (ms: number) => Promise<void>): Promise<void> {
    for (let attempt = 0; !this.gen.ended; attempt++) {
      try {
        const [ends, committed] = await Promise.all([offsets.ends(this.o.parkedTopic), offsets.committed([this.o.parkedTopic, this.o.deliveriesTopic])]);
        for (const [partition, offset] of committed.get(this.o.deliveriesTopic) ?? []) {
          if (offset >= 0n && this.scan.isCatchingUp(partition)) this.gen.book(partition).liveFrom(Number(offset));
        }
        const committedParked = committed.get(this.o.parkedTopic);
        for (const e of ends) {
          if (!this.scan.isCatchingUp(e.partition)) continue;
          const at = committedParked?.get(e.partition) ?? -1n;
          // Whole at once when nothing is left to read (or it was read while the offsets were fetched).
          if (this.scan.expect(e.partition, at >= 0n ? at : BigInt(e.low), BigInt(e.high))) this.scanDone(e.partition);
        }
        return;
      } catch (err) {
        this.o.logger.warn('could not read parked offsets; retrying', { err: String(err), attempt });
        await sleep(1_000);
      }
    }
  }

  /** A deliveries batch read while its parked partition is still scanned: paused and read again from its first offset later. */
  holdBack(batch: FetchedBatch): boolean {
    if (!this.scan.isCatchingUp(batch.partition)) return false;
    const first = batch.messages[0];
    this.heldBack.add(batch.partition);
    this.control.pause(batch.topic, [batch.partition]);
    if (first !== undefined) this.control.seek(batch.topic, batch.partition, first.offset);
    if (!this.scan.isCatchingUp(batch.partition) && this.heldBack.delete(batch.partition)) this.control.resume(batch.topic, [batch.partition]);
    return true;
  }

  async handleBatch(batch: FetchedBatch, current: StillCurrent): Promise<void> {
    const partition = batch.partition;
    const audits: Audits = new Map();
    const settled = new Set<string>();
    // Once a backlog must be read again from its cursor (a head recovered or closed, or the
    // scan ended), the rest of this batch is only counted: routing a later item to the drain
    // now would queue it ahead of the earlier ones the re-read brings, and skip those.
    let rereading = this.scan.isCatchingUp(partition);
    for (const message of batch.messages) {
      if (!current()) return;
      const offset = BigInt(message.offset);
      const subscriptionId = message.key?.toString('utf8') ?? '';
      const decoded = decodeParkedRecord(message.value, message.headers);
      if (decoded.kind === 'invalid' || subscriptionId === '') {
        this.o.logger.error('skipping a malformed parked record', { topic: batch.topic, partition, offset: message.offset, reason: decoded.kind === 'invalid' ? decoded.reason : 'no key' });
      } else {
        if (this.apply(partition, subscriptionId, offset, decoded.record, audits, settled, rereading)) rereading = true;
      }
      this.next.set(partition, offset + 1n);
      // The scan ended here and the partition is read again from a cursor: the rest of this batch comes again
      // (kafkajs calls the batch stale after a seek; a second seek from this batch would replace the first).
      if (this.scan.advance(partition, offset + 1n) && this.scanDone(partition)) return;
    }
    if (batch.messages.length === 0) this.scanIfEmpty(batch);
    // Read to the end: partial drain batches go now; otherwise they wait for the next fetch, so requests are not cut at fetch boundaries.
    if (BigInt(batch.highWatermark) <= (this.next.get(partition) ?? 0n)) this.drain.flush();
    for (const [sub, items] of audits) this.drain.audit(partition, sub, items);
    if (!this.scan.isCatchingUp(partition)) {
      this.rewind(partition);
      for (const sub of settled) this.drain.check(partition, sub);
    }
    if (this.drain.openOf(partition) > this.o.maxOpenItemsPerPartition && !this.paused.has(partition)) {
      this.paused.add(partition);
      this.control.pause(this.o.parkedTopic, [partition]);
    }
  }

  /** Where the partition's reading stands (a stalled drain's warning shows it). */
  describe(partition: number): { readonly nextParkedOffset: string | null; readonly pausedForBackPressure: boolean; readonly scanning: boolean } {
    const next = this.next.get(partition);
    return { nextParkedOffset: next === undefined ? null : String(next), pausedForBackPressure: this.paused.has(partition), scanning: this.scan.isCatchingUp(partition) };
  }

  /** Resumes partitions paused for back-pressure once their drain has room again. */
  tick(): void {
    for (const partition of this.paused) {
      if (this.drain.openOf(partition) > this.o.maxOpenItemsPerPartition / 2) continue;
      this.paused.delete(partition);
      this.control.resume(this.o.parkedTopic, [partition]);
    }
  }

  /** Offsets to commit: per partition, the book's floor or the read position, whichever is lower. */
  commitOffsets(): { partition: number; offset: bigint }[] {
    const out: { partition: number; offset: bigint }[] = [];
    for (const [partition, read] of this.next) {
      if (this.scan.isCatchingUp(partition)) continue;
      const floor = this.gen.book(partition).floor();
      const next = floor !== null && floor < read ? floor : read;
      if (next > (this.committed.get(partition) ?? -1n)) out.push({ partition, offset: next });
    }
    return out;
  }

  committedAt(offsets: readonly { partition: number; offset: bigint }[]): void {
    for (const p of offsets) this.committed.set(p.partition, p.offset);
  }

  /** The partition's scan reached its target (called once per partition); true when it is read again from a cursor. */
  private scanDone(partition: number): boolean {
    this.o.logger.info('parked backlog read', { topic: this.o.parkedTopic, partition, parked: this.gen.book(partition).size });
    const sought = this.rewind(partition);
    this.drain.checkAll(partition);
    if (this.heldBack.delete(partition)) this.control.resume(this.o.deliveriesTopic, [partition]);
    return sought;
  }

  private scanIfEmpty(batch: FetchedBatch): void {
    const target = this.scan.target(batch.partition);
    if (target !== undefined && BigInt(batch.highWatermark) <= target && (this.next.get(batch.partition) ?? -1n) >= target && this.scan.release(batch.partition)) {
      this.scanDone(batch.partition);
    }
  }

  /** Backlog items passed over (while parked, or while the partition was scanned) are read again for their drain; true when it seeks. */
  private rewind(partition: number): boolean {
    const book = this.gen.book(partition);
    const from = book.rereadFrom();
    if (from === null) return false;
    book.rereading(from);
    if (from >= (this.next.get(partition) ?? 0n)) return false;
    this.next.set(partition, from);
    this.control.seek(this.o.parkedTopic, partition, String(from));
    return true;
  }

  /** Applies one record; true when a backlog now has to be read again from its cursor (a head recovered or closed). */
  private apply(partition: number, sub: string, offset: bigint, record: ParkedRecord, audits: Audits, settled: Set<string>, countOnly: boolean): boolean {
    const book = this.gen.book(partition);
    switch (record.kind) {
      case 'begin': {
        const began = book.begin(sub, {
          episodeId: record.episodeId, markerOffset: offset, headOffsets: (record.headDeliveriesOffsets ?? []).map(Number),
          ...(record.backlogAfter === undefined ? {} : { backlogAfter: BigInt(record.backlogAfter) }),
          ...(record.headParkedOffsets === undefined ? {} : { inHead: record.headParkedOffsets.map((o) => BigInt(o)) }),
          ...(record.finishedParkedOffsets === undefined ? {} : { finished: record.finishedParkedOffsets.map((o) => BigInt(o)) }),
        });
        // A repark read back (an earlier owner's, or a re-read): the old drain's queue is void, as when this instance parks.
        if (began) this.drain.resetQueued(sub);
        return false;
      }
      case 'item':
        this.applyItem(partition, sub, offset, record, audits, settled, countOnly);
        return false;
      case 'recovery-item':
        // Before its marker (or an orphan of an attempt that never wrote one): nothing yet.
        if (book.isRecoveryItem(sub, record.episodeId, offset)) this.applyItem(partition, sub, offset, record, audits, settled, countOnly);
        return false;
      case 'recovery': {
        const began = book.beginRecovery(sub, { episodeId: record.episodeId, markerOffset: offset, first: BigInt(record.firstOffset), last: BigInt(record.lastOffset), items: record.items });
        if (!began) {
          if (book.get(sub)?.recovery?.episodeId !== record.episodeId && !book.hasEnded(sub, record.episodeId)) {
            this.o.logger.warn('recovery not started: the subscription has an open episode', { subscriptionId: sub, partition, recoveryId: record.episodeId });
          }
          return false;
        }
        this.drain.resetQueued(sub);
        this.drain.recoveryBegan?.(record.episodeId);
        settled.add(sub);
        this.o.logger.info('recovery: draining the audited items', { subscriptionId: sub, partition, recoveryId: record.episodeId, items: record.items });
        return true;
      }
      case 'recovered':
        if (!book.settle(sub, record.episodeId, 'draining', offset)) return false;
        settled.add(sub);
        this.o.logger.info('head recovered: draining the backlog', { subscriptionId: sub, partition, episodeId: record.episodeId, backlog: book.get(sub)?.backlog });
        return true;
      case 'closed':
        if (!book.settle(sub, record.episodeId, 'closing', offset)) return false;
        settled.add(sub);
        this.drain.startClosing(sub, record.reason, record.facts);
        return true;
      case 'progress':
        book.progress(sub, record.episodeId, { cursor: BigInt(record.cursor), finished: record.finished.map((o) => BigInt(o)), backlog: record.backlog });
        return false;
      case 'drained':
        book.end(sub, record.episodeId, offset);
        return false;
      default: {
        const unreachable: never = record;
        throw new Error(`unknown parked record ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private applyItem(partition: number, sub: string, offset: bigint, record: Extract<ParkedRecord, { kind: 'item' | 'recovery-item' }>, audits: Audits, settled: Set<string>, countOnly: boolean): void {
    const rebuilding = this.scan.isCatchingUp(partition);
    const route = this.gen.book(partition).item(sub, offset, Number(record.deliveriesOffset), countOnly || rebuilding);
    if (rebuilding && record.kind === 'item' && this.rebuiltListeners.length > 0) {
      const decoded = decodeDeliveryItem(record.value);
      if (decoded.kind === 'item') for (const listener of this.rebuiltListeners) listener(decoded.item);
    }
    const audit = (): void => {
      this.drain.register(sub, offset);
      let list = audits.get(sub);
      if (list === undefined) audits.set(sub, (list = []));
      list.push({ parkedOffset: offset, deliveriesOffset: record.deliveriesOffset, value: record.value.toString('utf8') });
    };
    switch (route) {
      case 'drain': {
        // Its data stays the bytes it was read as until a request body copies them (as on the live path).
        const decoded = readDeliveryItem(record.value);
        // Written by us from a valid item; should it ever be unreadable, it is audited, not lost.
        if (decoded.kind === 'invalid') audit();
        else this.drain.add(partition, sub, offset, record.deliveriesOffset, decoded.item, record.value, record.kind === 'item' ? record.request : undefined);
        return;
      }
      case 'finished':
        this.drain.register(sub, offset);
        this.drain.finished(partition, sub, [offset]);
        settled.add(sub);
        return;
      case 'audit':
        audit();
        return;
      case 'count':
      case 'skip':
        return;
      default: {
        const unreachable: never = route;
        throw new Error(`unknown route ${String(unreachable)}`);
      }
    }
  }
}
