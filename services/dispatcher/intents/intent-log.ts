import type { Logger } from '../../shared/logger.js';
import type { ClosedBatch, PendingItem } from '../deliver/batch-accumulator.js';
import type { DeliveryGeneration, FetchedBatch, PartitionControl, StillCurrent } from '../live/delivery-generation.js';
import type { OffsetsSource } from '../parking/parked-log-reader.js';
import { decodeRequestIntent } from './request-intent.js';

export interface IntentLogOptions {
  readonly deliveriesTopic: string;
  readonly intentsTopic: string;
  readonly logger: Logger;
}

/** A request an earlier owner may have sent: to be sent again exactly, before anything else of its items. */
interface OpenIntent {
  readonly subscriptionId: string;
  /** Offsets not read yet (or not decided yet) in this generation. */
  readonly remaining: Set<number>;
  readonly items: PendingItem[];
}

/** An intent read from the log, for the commit floor. */
interface Seen {
  readonly at: bigint;
  /** Its highest deliveries offset: once the deliveries commit is above it, no owner reads any of its items again. */
  readonly max: number;
}

/**
 * Reads `webhook.intents` for the owned partitions of one generation. After an assignment
 * it reads each partition from the committed floor to the end it had then (the *scan*);
 * the partition's deliveries wait meanwhile. For each intent of the scan, against the
 * deliveries offset committed (C):
 * - all its items at or above C: a request an earlier owner may have sent and not
 *   finished. Its items are gathered as they are read again and sent as that very request
 *   (same items, so the same webhook-id), whatever the batching would do now;
 * - its lowest item below C and others at or above it: that request is finished (its
 *   lowest item is, and a request's items finish together: delivered, or handed to
 *   parking). Its items at or above C, read again, are skipped as delivered. Without this,
 *   only Redis's dedupe marks would keep them from going again under another webhook-id.
 *
 * After the scan it keeps reading (the owner's own intents come back) only to know the
 * floor: the intents offset committed is the first intent with an item at or above the
 * deliveries commit, so a new owner always reads every intent it may need.
 */
export class IntentLog {
  private readonly scanning = new Set<number>();
  private readonly scanTargets = new Map<number, bigint>();
  private readonly heldBack = new Set<number>();
  /** Intents partitions fetched before the scan knew where the deliveries commit is: paused, read again once it does. */
  private readonly early = new Map<number, string>();
  private readonly next = new Map<number, bigint>();
  private readonly committed = new Map<number, bigint>();
  /** The committed deliveries offset at the assignment, per partition. */
  private readonly liveFrom = new Map<number, number>();
  private readonly seen = new Map<number, Seen[]>();
  /** Per partition, deliveries offset → the open intent that holds it. */
  private readonly open = new Map<number, Map<number, OpenIntent>>();
  /** Per partition, deliveries offsets at or above C of requests known finished (skipped when read again). */
  private readonly finishedItems = new Map<number, Set<number>>();

  constructor(
    private readonly o: IntentLogOptions,
    private readonly gen: DeliveryGeneration,
    private readonly control: PartitionControl,
  ) {
    for (const p of gen.partitions) this.scanning.add(p);
  }

  /** Intents still waiting for items (for tests and status). */
  get openIntents(): number {
    let n = 0;
    for (const m of this.open.values()) n += new Set(m.values()).size;
    return n;
  }

  async startScan(offsets: OffsetsSource, sleep: (ms: number) => Promise<void>): Promise<void> {
    for (let attempt = 0; !this.gen.ended; attempt++) {
      try {
        const [ends, committed] = await Promise.all([offsets.ends(this.o.intentsTopic), offsets.committed([this.o.intentsTopic, this.o.deliveriesTopic])]);
        for (const [partition, offset] of committed.get(this.o.deliveriesTopic) ?? []) {
          if (offset >= 0n && this.scanning.has(partition)) this.liveFrom.set(partition, Number(offset));
        }
        const committedIntents = committed.get(this.o.intentsTopic);
        for (const e of ends) {
          if (!this.scanning.has(e.partition)) continue;
          const end = BigInt(e.high);
          const at = committedIntents?.get(e.partition) ?? -1n;
          const start = at >= 0n ? at : BigInt(e.low);
          this.scanTargets.set(e.partition, end);
          if (start >= end || (this.next.get(e.partition) ?? -1n) >= end) this.scanDone(e.partition);
        }
        for (const [partition, offset] of this.early) {
          this.control.seek(this.o.intentsTopic, partition, offset);
          this.control.resume(this.o.intentsTopic, [partition]);
        }
        this.early.clear();
        return;
      } catch (err) {
        this.o.logger.warn('could not read intent offsets; retrying', { err: String(err), attempt });
        await sleep(1_000);
      }
    }
  }

  /** A deliveries batch read while its intents are still scanned: paused and read again from its first offset later. */
  holdBack(batch: FetchedBatch): boolean {
    if (!this.scanning.has(batch.partition)) return false;
    const first = batch.messages[0];
    this.heldBack.add(batch.partition);
    this.control.pause(batch.topic, [batch.partition]);
    if (first !== undefined) this.control.seek(batch.topic, batch.partition, first.offset);
    return true;
  }

  handleBatch(batch: FetchedBatch, current: StillCurrent): void {
    const partition = batch.partition;
    // Not before the scan knows the deliveries commit: an intent whose lowest item is below it is finished, and
    // reopening it would wait forever for items never read again (its partition's commit and reading would stop).
    if (this.scanning.has(partition) && !this.scanTargets.has(partition)) {
      const first = batch.messages[0];
      if (first !== undefined && !this.early.has(partition)) this.early.set(partition, first.offset);
      this.control.pause(batch.topic, [partition]);
      return;
    }
    for (const message of batch.messages) {
      if (!current()) return;
      const at = BigInt(message.offset);
      const subscriptionId = message.key?.toString('utf8') ?? '';
      const decoded = decodeRequestIntent(message.value);
      if (decoded.kind === 'invalid' || subscriptionId === '') {
        this.o.logger.error('skipping a malformed request intent', { topic: batch.topic, partition, offset: message.offset, reason: decoded.kind === 'invalid' ? decoded.reason : 'no key' });
      } else {
        const offsets = decoded.intent.offsets;
        const min = offsets[0] as number;
        const max = offsets[offsets.length - 1] as number;
        const liveFrom = this.liveFrom.get(partition) ?? 0;
        if (max >= liveFrom) {
          this.seenIn(partition).push({ at, max });
          if (this.scanning.has(partition) && min >= liveFrom) this.reopen(partition, subscriptionId, offsets);
          else if (this.scanning.has(partition)) this.finishedFrom(partition, offsets, liveFrom);
        }
      }
      this.next.set(partition, at + 1n);
      const target = this.scanTargets.get(partition);
      if (this.scanning.has(partition) && target !== undefined && at + 1n >= target) this.scanDone(partition);
    }
    const target = this.scanTargets.get(partition);
    if (batch.messages.length === 0 && this.scanning.has(partition) && target !== undefined && (this.next.get(partition) ?? -1n) >= target) this.scanDone(partition);
  }

  /** Whether a deliveries offset belongs to a request an earlier owner may have sent. */
  holds(partition: number, offset: number): boolean {
    return this.open.get(partition)?.has(offset) === true;
  }

  /** Whether a deliveries offset, read again, belongs to a request known finished (it is skipped; asked once per read). */
  finished(partition: number, offset: number): boolean {
    return this.finishedItems.get(partition)?.delete(offset) === true;
  }

  /**
   * The router's decision for an item held by an open intent: `item` when it is taken, null
   * when it is skipped (delivered, in a head or backlog, subscription gone). Returns the
   * request once every item of it is decided, in offset order, or null.
   */
  decide(partition: number, offset: number, item: PendingItem | null, readFrom = 0): ClosedBatch | null {
    const byOffset = this.open.get(partition);
    const intent = byOffset?.get(offset);
    if (byOffset === undefined || intent === undefined) return null;
    byOffset.delete(offset);
    intent.remaining.delete(offset);
    // Offsets this generation never reads (below where it started) cannot be waited for: that request had finished.
    for (const o of intent.remaining) if (o < readFrom) {
      intent.remaining.delete(o);
      byOffset.delete(o);
    }
    if (item !== null) intent.items.push(item);
    if (intent.remaining.size > 0) return null;
    const items = [...intent.items].sort((a, b) => a.offset - b.offset);
    const first = items[0];
    if (first === undefined) return null;
    return { subscriptionId: intent.subscriptionId, kind: first.item.kind, items, reason: 'full' };
  }

  /** Offsets to commit: per partition, the first intent not yet known finished, or the read position. `deliveriesCommit`: the deliveries offset committed with it. */
  commitOffsets(deliveriesCommit: (partition: number) => number | undefined): { partition: number; offset: bigint }[] {
    const out: { partition: number; offset: bigint }[] = [];
    for (const [partition, read] of this.next) {
      if (this.scanning.has(partition)) continue;
      const floor = Math.max(this.liveFrom.get(partition) ?? 0, deliveriesCommit(partition) ?? 0);
      const kept = (this.seen.get(partition) ?? []).filter((s) => s.max >= floor);
      this.seen.set(partition, kept);
      const first = kept[0];
      const next = first !== undefined && first.at < read ? first.at : read;
      if (next > (this.committed.get(partition) ?? -1n)) out.push({ partition, offset: next });
    }
    return out;
  }

  committedAt(offsets: readonly { partition: number; offset: bigint }[]): void {
    for (const p of offsets) this.committed.set(p.partition, p.offset);
  }

  /** First intent wins: one that shares an item with an open one is not reopened (never written so; a repeated write is the same request). */
  private reopen(partition: number, subscriptionId: string, offsets: readonly number[]): void {
    let byOffset = this.open.get(partition);
    if (byOffset === undefined) this.open.set(partition, (byOffset = new Map()));
    if (offsets.some((o) => byOffset.has(o))) return;
    const intent: OpenIntent = { subscriptionId, remaining: new Set(offsets), items: [] };
    for (const o of offsets) byOffset.set(o, intent);
  }

  private finishedFrom(partition: number, offsets: readonly number[], liveFrom: number): void {
    let set = this.finishedItems.get(partition);
    if (set === undefined) this.finishedItems.set(partition, (set = new Set()));
    for (const o of offsets) if (o >= liveFrom && this.open.get(partition)?.has(o) !== true) set.add(o);
  }

  private seenIn(partition: number): Seen[] {
    let list = this.seen.get(partition);
    if (list === undefined) this.seen.set(partition, (list = []));
    return list;
  }

  private scanDone(partition: number): void {
    if (!this.scanning.delete(partition)) return;
    this.o.logger.info('request intents read', { topic: this.o.intentsTopic, partition, open: new Set(this.open.get(partition)?.values() ?? []).size });
    if (this.heldBack.delete(partition)) this.control.resume(this.o.deliveriesTopic, [partition]);
  }
}
