import { FleethookError } from './errors.js';

interface Entry {
  readonly task: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

interface Lane {
  readonly pending: Entry[];
  running: boolean;
}

/**
 * The one keyed lock: tasks with the same key run strictly one after another, in the
 * order they were submitted, while tasks with different keys run concurrently up to an
 * optional global cap. A task that fails does not stop the ones queued behind it. The dispatcher keys by subscription id: one subscription's requests are
 * serial, a slow endpoint only ever occupies one slot, and no key starves another
 * (ready keys are served first come, first served).
 */
export class KeyedSerialQueue<K> {
  private readonly lanes = new Map<K, Lane>();
  private readonly ready: K[] = [];
  private readyHead = 0;
  private running = 0;
  private queued = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  /** Without a cap (the default) it is a plain keyed lock: one task at a time per key, any number of keys at once. */
  constructor(private readonly maxInFlight: number = Number.POSITIVE_INFINITY) {
    if (!(Number.isInteger(maxInFlight) || maxInFlight === Number.POSITIVE_INFINITY) || maxInFlight < 1) {
      throw new FleethookError('INVALID_ARGUMENT', `maxInFlight must be a positive integer, got ${maxInFlight}`);
    }
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Tasks submitted and not yet started. */
  get pending(): number {
    return this.queued;
  }

  /** Keys with running or pending work. */
  get activeKeys(): number {
    return this.lanes.size;
  }

  /** Tasks of `key` submitted and not yet started. */
  pendingOf(key: K): number {
    return this.lanes.get(key)?.pending.length ?? 0;
  }

  /** True while `key` has a task running or waiting. */
  isActive(key: K): boolean {
    return this.lanes.has(key);
  }

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new FleethookError('QUEUE_CLOSED', 'the queue is closed'));
    }
    return new Promise<T>((resolve, reject) => {
      let lane = this.lanes.get(key);
      if (lane === undefined) {
        lane = { pending: [], running: false };
        this.lanes.set(key, lane);
      }
      lane.pending.push({ task, resolve: resolve as (value: unknown) => void, reject });
      this.queued++;
      if (!lane.running && lane.pending.length === 1) this.ready.push(key);
      this.pump();
    });
  }

  /** Resolves when nothing is running or pending. */
  onIdle(): Promise<void> {
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Refuses new tasks and rejects every task not yet started with QUEUE_CLOSED (e.g. on
   * a partition revocation: the work is dropped and will be re-read from Kafka). Tasks
   * already running finish; `onIdle()` tells when.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [key, lane] of this.lanes) {
      for (const entry of lane.pending.splice(0)) {
        this.queued--;
        entry.reject(new FleethookError('QUEUE_CLOSED', 'the queue was closed before the task started'));
      }
      if (!lane.running) this.lanes.delete(key);
    }
    this.ready.length = 0;
    this.readyHead = 0;
    this.notifyIfIdle();
  }

  private pump(): void {
    while (this.running < this.maxInFlight && this.readyHead < this.ready.length) {
      const key = this.ready[this.readyHead++] as K;
      const lane = this.lanes.get(key);
      const entry = lane?.pending.shift();
      if (lane === undefined || entry === undefined) continue;
      this.queued--;
      lane.running = true;
      this.running++;
      this.start(key, lane, entry);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  private start(key: K, lane: Lane, entry: Entry): void {
    let result: Promise<unknown>;
    try {
      result = entry.task();
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(entry.resolve, entry.reject).finally(() => {
      this.running--;
      lane.running = false;
      if (lane.pending.length > 0) this.ready.push(key);
      else this.lanes.delete(key);
      this.pump();
      this.notifyIfIdle();
    });
  }

  private notifyIfIdle(): void {
    if (this.running !== 0 || this.queued !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
