interface Waiter {
  readonly targets: ReadonlyMap<number, bigint>;
  readonly resolve: () => void;
}

/**
 * "Read a partition up to an offset before going live" (pure apart from the promises of
 * `waitFor`). An owner *holds* a partition from the moment it gets it, learns the target
 * (the end when it started, or the committed offset), and feeds in how far it has read;
 * the partition is live once it has read below the target. Used by the subscription
 * catalogue (ready once caught up with the topic as it was at start), the alerter (alert
 * state replayed up to the committed offset before acting) and the deliverer (parked log
 * read to its end before deliveries are routed). Offsets: the next one to read.
 */
export class CatchUp {
  /** Partitions held; the target is null until known. */
  private readonly targets = new Map<number, bigint | null>();
  private readonly positions = new Map<number, bigint>();
  private waiters: Waiter[] = [];

  /** Not live until a target is set and reached. */
  hold(partition: number): void {
    if (!this.targets.has(partition)) this.targets.set(partition, null);
  }

  /** Must be read up to `target` (exclusive), starting at `from`. True when that already holds: the partition is live. */
  expect(partition: number, from: bigint, target: bigint): boolean {
    if (from >= target || this.position(partition) >= target) {
      this.targets.delete(partition);
      return true;
    }
    this.targets.set(partition, target);
    return false;
  }

  /** Live without reading further (the target could not be learnt); false when it was live already. */
  release(partition: number): boolean {
    return this.targets.delete(partition);
  }

  isCatchingUp(partition: number): boolean {
    return this.targets.has(partition);
  }

  /** The target of a partition still catching up (undefined when live or not yet known). */
  target(partition: number): bigint | undefined {
    return this.targets.get(partition) ?? undefined;
  }

  /** How far the partition has been read (0 before anything). */
  position(partition: number): bigint {
    return this.positions.get(partition) ?? 0n;
  }

  /** Read up to `next` (exclusive). True when this made the partition live. */
  advance(partition: number, next: bigint): boolean {
    if (next > this.position(partition)) {
      this.positions.set(partition, next);
      if (this.waiters.length > 0) this.wake();
    }
    const target = this.targets.get(partition);
    if (target === undefined || target === null || next < target) return false;
    this.targets.delete(partition);
    return true;
  }

  /** Every partition in `targets` read up to its target. */
  reached(targets: ReadonlyMap<number, bigint>): boolean {
    for (const [partition, target] of targets) if (this.position(partition) < target) return false;
    return true;
  }

  /** Resolves once `reached(targets)`; rejects with `timeoutError()` after `timeoutMs`. */
  waitFor(targets: ReadonlyMap<number, bigint>, timeoutMs: number, timeoutError: () => Error): Promise<void> {
    if (this.reached(targets)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(timeoutError());
      }, timeoutMs);
      const waiter: Waiter = { targets, resolve: () => { clearTimeout(timer); resolve(); } };
      this.waiters.push(waiter);
    });
  }

  /** Forgets the partition (it was revoked). */
  drop(partition: number): void {
    this.targets.delete(partition);
    this.positions.delete(partition);
  }

  private wake(): void {
    const due = this.waiters.filter((w) => this.reached(w.targets));
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }
}
