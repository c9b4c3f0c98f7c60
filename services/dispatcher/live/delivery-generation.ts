import { setMaxListeners } from 'node:events';
import { errorMessage } from '../../shared/errors.js';
import { KeyedSerialQueue } from '../../shared/keyed-serial-queue.js';
import type { Logger } from '../../shared/logger.js';
import type { BatchResult } from '../deliver/deliver-batch.js';
import { ParkingBook } from '../parking/parking-book.js';
import { sleep } from '../deliver/retry-delay.js';

/** What a subscription's serial task ended with besides a delivery: handed on durably to the backlog, the tiers or the audit. */
export type TaskResult = BatchResult | { readonly kind: 'handed'; readonly depthDone?: boolean };

/** Pausing, resuming and seeking owned partitions: the group consumer's, in our terms. */
export interface PartitionControl {
  pause(topic: string, partitions: readonly number[]): void;
  resume(topic: string, partitions: readonly number[]): void;
  seek(topic: string, partition: number, offset: string): void;
}

/** A fetched batch of one partition, as the stages see it. */
export interface FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: readonly FetchedMessage[];
}

export interface FetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;
  /** Kafka timestamp, epoch ms as a decimal string (absent in hand-built test batches). */
  readonly timestamp?: string;
}

/** Whether the batch being handled still belongs to a running, current generation. */
export type StillCurrent = () => boolean;

/**
 * One consumer-group generation (one assignment) of the deliverer: the partitions it owns,
 * the per-subscription serial queue every stage's work runs in, the parking books of its
 * partitions, and how many items each subscription has read and not finished. A rebalance
 * ends the generation: no new attempts, queued work dropped, requests in flight cut after
 * the grace; the next generation rebuilds everything from Kafka.
 */
export class DeliveryGeneration {
  private readonly queue: KeyedSerialQueue<string>;
  private readonly books = new Map<number, ParkingBook>();
  /** Items read and not finished, per subscription (the queue depth in the body head). */
  private readonly depths = new Map<string, number>();
  private readonly stopController = new AbortController();
  /** Aborted at shutdown before the generation ends: requests still go, retries no longer wait. */
  private readonly retriesController = new AbortController();
  private readonly retriesSignal = AbortSignal.any([this.stopController.signal, this.retriesController.signal]);
  private readonly killController = new AbortController();
  private killTimer: NodeJS.Timeout | undefined;
  /**
   * Subscriptions with a task left to the next owner (`abandoned`): their later tasks in this
   * generation are left too. A later request sent now would overtake the one left, and its
   * dedupe mark would make the next owner skip the one left as delivered (chaos seed 9: at a
   * SIGTERM, a request waiting to retry was left and the stream's next request was sent).
   */
  private readonly leftToNextOwner = new Set<string>();

  /** `running`: the request in flight per subscription across generations, so a new owner waits for the old one. */
  /** Kafka writes in flight (`durably`). */
  private readonly writes: Set<Promise<unknown>>;
  /** The task running per subscription, and since when (a stalled drain's warning names it). */
  private readonly runningTasks = new Map<string, { readonly what: string; readonly sinceMs: number }>();

  constructor(
    readonly id: number,
    readonly partitions: readonly number[],
    maxInFlight: number,
    private readonly running: Map<string, Promise<unknown>>,
    private readonly logger: Logger,
  ) {
    this.queue = new KeyedSerialQueue<string>(maxInFlight);
    this.writes = new Set();
    // Every request in flight listens on these; up to maxInFlight listeners is expected.
    setMaxListeners(0, this.stopController.signal, this.killController.signal, this.retriesSignal);
  }

  get stop(): AbortSignal {
    return this.stopController.signal;
  }

  /** Aborted once no retry may wait any more (shutdown, or the end): a failed request is left to the next owner. */
  get retries(): AbortSignal {
    return this.retriesSignal;
  }

  /** Shutting down: open batches still go out, but a failed request no longer waits to be retried here. */
  stopRetries(): void {
    this.retriesController.abort();
  }

  get kill(): AbortSignal {
    return this.killController.signal;
  }

  get ended(): boolean {
    return this.stopController.signal.aborted;
  }

  book(partition: number): ParkingBook {
    let b = this.books.get(partition);
    if (b === undefined) {
      b = new ParkingBook();
      this.books.set(partition, b);
    }
    return b;
  }

  allBooks(): IterableIterator<ParkingBook> {
    return this.books.values();
  }

  depth(subscriptionId: string): number {
    return this.depths.get(subscriptionId) ?? 0;
  }

  addDepth(subscriptionId: string, items: number): void {
    const next = this.depth(subscriptionId) + items;
    if (next <= 0) this.depths.delete(subscriptionId);
    else this.depths.set(subscriptionId, next);
  }

  /** Runs `task` as the subscription's next serial step, after any request an earlier generation still has in flight. */
  serial(subscriptionId: string, task: () => Promise<TaskResult>, what = 'task'): Promise<TaskResult> {
    return this.queue.run(subscriptionId, async () => {
      await this.running.get(subscriptionId)?.catch(() => undefined);
      if (this.leftToNextOwner.has(subscriptionId)) return { kind: 'abandoned' };
      this.runningTasks.set(subscriptionId, { what, sinceMs: Date.now() });
      const p = task();
      this.running.set(subscriptionId, p);
      try {
        const result = await p;
        if (result.kind === 'abandoned') this.leftToNextOwner.add(subscriptionId);
        return result;
      } catch (err) {
        // Its items are not finished either: nothing of the subscription may overtake them.
        this.leftToNextOwner.add(subscriptionId);
        throw err;
      } finally {
        if (this.running.get(subscriptionId) === p) this.running.delete(subscriptionId);
        this.runningTasks.delete(subscriptionId);
      }
    });
  }

  /** What the subscription's serial queue holds now: the task running (and for how long) and how many wait behind it. */
  workOf(subscriptionId: string, nowMs: number): { readonly running: string | null; readonly runningForMs: number | null; readonly waiting: number; readonly leftToNextOwner: boolean } {
    const t = this.runningTasks.get(subscriptionId);
    return {
      running: t?.what ?? null, runningForMs: t === undefined ? null : nowMs - t.sinceMs,
      waiting: this.queue.pendingOf(subscriptionId), leftToNextOwner: this.leftToNextOwner.has(subscriptionId),
    };
  }

  /** Runs a subscription's serial task in the background; its failure is logged unless the generation ended. */
  background(subscriptionId: string, what: string, task: () => Promise<TaskResult>, then: (result: TaskResult) => void = () => undefined): void {
    this.serial(subscriptionId, task, what).then(then, (err: unknown) => {
      if (!this.ended) this.logger.error(`${what} failed`, { subscriptionId, err: errorMessage(err) });
    });
  }

  /** Retries a write to Kafka until it succeeds or the generation ends (null). Order depends on it: nothing may pass a failed write. */
  async durably<T>(write: () => Promise<T>): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      if (this.ended) return null;
      const pending = write();
      this.writes.add(pending);
      try {
        return await pending;
      } catch (err) {
        this.logger.warn('a parking write failed; retrying', { err: errorMessage(err), attempt });
        await sleep(Math.min(5_000, 200 * 2 ** attempt), this.stop);
      } finally {
        this.writes.delete(pending);
      }
    }
  }

  /**
   * Resolves once no write of this generation is in flight. None starts after `end`, so
   * after both, everything this generation wrote is in Kafka: the next generation's scans of
   * `webhook.parked` and `webhook.intents` see it (else an append landing after a scan's end
   * goes unseen, and its item is taken live as well as drained).
   */
  writesSettled(): Promise<void> {
    return Promise.allSettled([...this.writes]).then(() => undefined);
  }

  /** Resolves when no task of any subscription is queued or running. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Ends the generation: no new attempts, queued tasks dropped, requests in flight cut after `graceMs`. */
  end(graceMs: number): Promise<void> {
    if (!this.ended) {
      this.stopController.abort();
      this.queue.close();
      this.killTimer = setTimeout(() => this.killController.abort(), graceMs);
      this.killTimer.unref();
    }
    return this.queue.onIdle().then(() => clearTimeout(this.killTimer));
  }
}
