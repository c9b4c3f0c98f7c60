import { setMaxListeners } from 'node:events';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import { BatchAccumulator } from './batch-accumulator.js';
import { OffsetTracker } from './offset-tracker.js';
import type { ClosedFacts } from './parked-record.js';
import { ParkingBook } from './parking-book.js';

/**
 * Everything the deliverer holds for one consumer-group generation (one assignment):
 * open batches, the per-subscription serial queue, per-partition offset trackers and
 * back-pressure state. A rebalance ends the generation: unstarted work is dropped
 * (`close()`), retries stop, and the next generation re-reads from committed offsets.
 */
export class DeliveryGeneration {
  readonly queue: KeyedSerialQueue<string>;
  // Up to 20 % early: ~2,000 GPS streams reporting on one tick would close in one instant.
  readonly batches = new BatchAccumulator({ deadlineSpreadShare: 0.2 });
  readonly trackers = new Map<number, OffsetTracker>();
  readonly committed = new Map<number, number>();
  readonly paused = new Set<number>();
  /** Items read and not finished, per subscription (the queue depth in the body head). */
  readonly depth = new Map<string, number>();
  /**
   * Highest origin (telemetry) offset taken per batch stream and origin partition: an item
   * whose origin is not newer is a second copy written by a match-and-re-key stage that
   * re-processed telemetry after a crash or a lost group membership, and is skipped.
   */
  readonly originSeen = new Map<string, bigint>();
  /** Last delivered offset per batch stream, loaded from the dedupe marks once per generation. */
  readonly delivered = new Map<string, number>();
  /** Parking state per owned partition, rebuilt from `webhook.parked` (see parking-book.ts). */
  readonly books = new Map<number, ParkingBook>();
  /** Partitions whose `webhook.parked` is still being read up to `scanTargets` (their deliveries wait). */
  readonly scanning = new Set<number>();
  readonly scanTargets = new Map<number, bigint>();
  /** Deliveries partitions held back (paused, re-read from `heldBack` offset) until their parked partition is caught up. */
  readonly heldBack = new Set<number>();
  /** Next `webhook.parked` offset to read, per partition. */
  readonly parkedNext = new Map<number, bigint>();
  readonly parkedCommitted = new Map<number, bigint>();
  readonly parkedPaused = new Set<number>();
  /** Backlog items handed to drain or audit requests and not finished, per partition (back-pressure). */
  readonly drainOpen = new Map<number, number>();
  /** Drain batches: closed as soon as the read batch ends (maxWaitMs 0). */
  readonly drainBatches = new BatchAccumulator();
  /**
   * Backlog items queued for a drain or audit, per subscription, by parked offset: a
   * subscription's cursor moves only over items finished without a gap (GPS drains run one
   * request per vehicle, so a later request may finish before an earlier item of another vehicle).
   */
  readonly drainQueued = new Map<string, OffsetTracker>();
  /** Subscriptions with an end-of-episode check queued. */
  readonly checks = new Set<string>();
  /** Closing subscriptions: why, and how many backlog items the audit has written. */
  readonly closing = new Map<string, { readonly reason: string; readonly facts: ClosedFacts; audited: number }>();
  private readonly stopController = new AbortController();
  private readonly killController = new AbortController();
  private killTimer: NodeJS.Timeout | undefined;

  constructor(readonly id: number, readonly partitions: readonly number[], maxInFlight: number) {
    this.queue = new KeyedSerialQueue<string>(maxInFlight);
    // Every request in flight listens on these; up to maxInFlight listeners is expected.
    setMaxListeners(0, this.stopController.signal, this.killController.signal);
  }

  get stop(): AbortSignal {
    return this.stopController.signal;
  }

  get kill(): AbortSignal {
    return this.killController.signal;
  }

  get ended(): boolean {
    return this.stopController.signal.aborted;
  }

  tracker(partition: number): OffsetTracker {
    let t = this.trackers.get(partition);
    if (t === undefined) {
      t = new OffsetTracker();
      this.trackers.set(partition, t);
    }
    return t;
  }

  book(partition: number): ParkingBook {
    let b = this.books.get(partition);
    if (b === undefined) {
      b = new ParkingBook();
      this.books.set(partition, b);
    }
    return b;
  }

  drainTracker(subscriptionId: string): OffsetTracker {
    let t = this.drainQueued.get(subscriptionId);
    if (t === undefined) {
      t = new OffsetTracker();
      this.drainQueued.set(subscriptionId, t);
    }
    return t;
  }

  addDrainOpen(partition: number, items: number): void {
    this.drainOpen.set(partition, (this.drainOpen.get(partition) ?? 0) + items);
  }

  addDepth(subscriptionId: string, items: number): void {
    const next = (this.depth.get(subscriptionId) ?? 0) + items;
    if (next <= 0) this.depth.delete(subscriptionId);
    else this.depth.set(subscriptionId, next);
  }

  /** Ends the generation: no new attempts, unstarted batches dropped, requests in flight cut after `graceMs`. */
  end(graceMs: number): Promise<void> {
    if (!this.ended) {
      this.stopController.abort();
      this.queue.close();
      this.batches.clear();
      this.drainBatches.clear();
      this.killTimer = setTimeout(() => this.killController.abort(), graceMs);
      this.killTimer.unref();
    }
    return this.queue.onIdle().then(() => clearTimeout(this.killTimer));
  }
}
