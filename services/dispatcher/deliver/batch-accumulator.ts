import type { DeliveryItem, ItemKind } from '../delivery-item.js';

export interface BatchPolicy {
  readonly maxItems: number;
  readonly maxWaitMs: number;
}

/** An item read from `webhook.deliveries`, with where it was read. */
export interface PendingItem {
  readonly item: DeliveryItem;
  readonly partition: number;
  readonly offset: number;
  /** The `webhook.deliveries` record value, byte for byte (what parking writes). */
  readonly value?: Buffer;
  /** Where a backlog item sits in `webhook.parked` (drain batches only). */
  readonly parkedOffset?: bigint;
  /** When it was queued on `webhook.deliveries` (its Kafka timestamp): a batch's wait counts from its first item's. */
  readonly queuedAtMs?: number;
}

/**
 * How long a batch whose first item was queued a whole window ago (read again after a
 * hand-over) still gathers what is read with it: it goes at the next tick or so, not
 * after a second window, and not one item per request either.
 */
export const readAgainGatherMs = 50;

export interface ClosedBatch {
  readonly subscriptionId: string;
  readonly kind: ItemKind;
  readonly items: readonly PendingItem[];
  readonly reason: 'full' | 'time';
  /** When the batch opened, i.e. its first item was queued (the body's `enqueueTime`); absent when rebuilt without it. */
  readonly openedAtMs?: number;
  /** An earlier owner's request gathered again (rule 9): sent exactly as it is, never merged with other batches. */
  readonly exact?: boolean;
}

interface OpenBatch {
  readonly subscriptionId: string;
  readonly kind: ItemKind;
  readonly items: PendingItem[];
  readonly maxItems: number;
  readonly deadlineMs: number;
  readonly openedAtMs: number;
  bytes: number;
}

/**
 * The most item bytes one request carries, whatever `maxItems` says: a failed request
 * travels whole as one retry ticket (its item values as JSON strings, so up to twice as
 * long) and its items as one write to `webhook.parked`, and both must stay under the
 * topics' 1 MiB `max.message.bytes`.
 */
export const defaultMaxBatchBytes = 384 * 1024;

export interface AccumulatorOptions {
  /**
   * Share of `maxWaitMs` (0..1) by which a stream's batches may close early, fixed per
   * stream (a hash of its key). Vehicles that report on the same tick would otherwise
   * open, and close, thousands of batches in the same instant; spreading the deadlines
   * spreads the requests. The wait bound is kept: a batch never waits longer than `maxWaitMs`.
   */
  readonly deadlineSpreadShare?: number;
  /** The most item value bytes per batch (default `defaultMaxBatchBytes`); one larger item goes alone. */
  readonly maxBatchBytes?: number;
}

/**
 * Batching decisions (pure; the caller supplies the clock). A batch closes when it
 * holds `maxItems`, or `maxWaitMs` after its first item was queued (the caller polls `due()` on a
 * wall-clock timer, so an idle subscription still flushes), earlier by the stream's
 * spread if one is configured. GPS requests carry one vehicle each, so GPS batches are
 * open per subscription and vehicle; DTC and event batches are per subscription and may
 * mix vehicles. A `scheduled` item is a whole request already (one part of a slot, cut
 * by the scheduler): it closes its batch at once, alone.
 */
export class BatchAccumulator {
  private readonly open = new Map<string, OpenBatch>();
  private openItemCount = 0;
  private readonly spreadShare: number;
  private readonly maxBytes: number;

  constructor(options: AccumulatorOptions = {}) {
    this.spreadShare = Math.min(1, Math.max(0, options.deadlineSpreadShare ?? 0));
    this.maxBytes = Math.max(1, options.maxBatchBytes ?? defaultMaxBatchBytes);
  }

  get openItems(): number {
    return this.openItemCount;
  }

  get openBatches(): number {
    return this.open.size;
  }

  /**
   * Adds an item; returns the batch that closed because of it: its own when full, or the one it did not fit in by size.
   * `key`: the item's `streamKeyOf`, when the caller has it already.
   */
  add(entry: PendingItem, policy: BatchPolicy, nowMs: number, key: string = streamKeyOf(entry.item)): ClosedBatch | null {
    const size = entry.value?.length ?? 0;
    let batch = this.open.get(key);
    if (batch !== undefined && batch.items.length > 0 && batch.bytes + size > this.maxBytes) {
      const full = this.close(key, batch, 'full');
      this.openWith(key, entry, policy, nowMs);
      return full;
    }
    batch ??= this.newBatch(key, entry, policy, nowMs);
    batch.items.push(entry);
    batch.bytes += size;
    this.openItemCount++;
    if (batch.items.length >= batch.maxItems || batch.deadlineMs <= nowMs) return this.close(key, batch, 'full');
    return null;
  }

  /** A new batch with `entry`, left open (a one-item limit or a zero wait closes it at the next add or tick). */
  private openWith(key: string, entry: PendingItem, policy: BatchPolicy, nowMs: number): void {
    const batch = this.newBatch(key, entry, policy, nowMs);
    batch.items.push(entry);
    batch.bytes = entry.value?.length ?? 0;
    this.openItemCount++;
  }

  private newBatch(key: string, entry: PendingItem, policy: BatchPolicy, nowMs: number): OpenBatch {
    const { item } = entry;
    const waitMs = Math.max(0, policy.maxWaitMs);
    const earlyMs = this.spreadShare === 0 ? 0 : Math.floor(waitMs * this.spreadShare * unitHash(key));
    // The window counts from when the first item was queued (never later than now: a clock ahead is ignored).
    const queuedAtMs = Math.min(nowMs, entry.queuedAtMs ?? nowMs);
    const deadlineMs = Math.max(nowMs + Math.min(waitMs, readAgainGatherMs), queuedAtMs + waitMs - earlyMs);
    const batch: OpenBatch = {
      subscriptionId: item.subscriptionId, kind: item.kind, items: [], maxItems: item.kind === 'scheduled' ? 1 : Math.max(1, policy.maxItems), deadlineMs, openedAtMs: queuedAtMs, bytes: 0,
    };
    this.open.set(key, batch);
    return batch;
  }

  /** Closes the open batch of `item`'s stream now, if there is one (what comes next must not join it). */
  closeStreamOf(item: DeliveryItem): ClosedBatch | null {
    const key = streamKeyOf(item);
    const batch = this.open.get(key);
    return batch === undefined ? null : this.close(key, batch, 'full');
  }

  /** Batches whose wait is over at `nowMs`, oldest deadline first. */
  due(nowMs: number): ClosedBatch[] {
    const out: { batch: ClosedBatch; deadlineMs: number }[] = [];
    for (const [key, batch] of this.open) {
      if (batch.deadlineMs <= nowMs) out.push({ batch: this.close(key, batch, 'time'), deadlineMs: batch.deadlineMs });
    }
    return out.sort((a, b) => a.deadlineMs - b.deadlineMs).map((o) => o.batch);
  }

  /** Everything open, closed now (shutdown flush is not used; kept for tests and drains). */
  drain(): ClosedBatch[] {
    return this.due(Number.POSITIVE_INFINITY);
  }

  /** Forgets every open batch (a rebalance: the items will be read again). */
  clear(): void {
    this.open.clear();
    this.openItemCount = 0;
  }

  private close(key: string, batch: OpenBatch, reason: ClosedBatch['reason']): ClosedBatch {
    this.open.delete(key);
    this.openItemCount -= batch.items.length;
    return { subscriptionId: batch.subscriptionId, kind: batch.kind, items: batch.items, reason, openedAtMs: batch.openedAtMs };
  }
}

/** The stream a batch belongs to: one per subscription, or per subscription and vehicle for GPS. */
export function streamKeyOf(item: DeliveryItem): string {
  return item.kind === 'gps' ? `${item.subscriptionId}/${item.vehicleId}` : item.subscriptionId;
}

/** A stable value in [0, 1) from a string (FNV-1a, 32 bits). */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 0x1_0000_0000;
}
