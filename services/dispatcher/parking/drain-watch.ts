/** What the watch sees of one draining or closing subscription at a tick. */
export interface DrainProgress {
  readonly partition: number;
  readonly subscriptionId: string;
  readonly episodeId: string;
  /** The gap-free cursor. */
  readonly cursor: bigint;
  /**
   * Items the drain has finished so far (delivered or audited). A GPS drain goes vehicle by
   * vehicle, so its gap-free cursor can stand still for a long, healthy drain; this moves
   * with every request.
   */
  readonly finishedItems: number;
}

/** A drain that finished no item, and whose cursor did not move, for at least the bound. */
export interface StalledDrain extends DrainProgress {
  readonly stillForMs: number;
}

interface Seen {
  readonly episodeId: string;
  readonly cursor: bigint;
  readonly finishedItems: number;
  readonly sinceMs: number;
  reportedAtMs: number | null;
}

/**
 * Notices a backlog drain that stopped: a draining or closing subscription that has finished
 * no item (and whose cursor has not moved) for `boundMs`. Each stalled drain is reported once per `boundMs` while it stays
 * still, so an operator (and a failing test) learns which subscription and what its drain
 * holds, instead of a backlog that silently stops shrinking. A drain that is merely slow
 * (each request finishes some items) is never reported. Pure: the caller supplies
 * the clock.
 */
export class DrainWatch {
  private readonly seen = new Map<string, Seen>();
  private stalledNow = 0;

  constructor(private readonly boundMs: number) {}

  /** Drains still for at least the bound at the last `observe` (the stalled-drains gauge). */
  get stalled(): number {
    return this.stalledNow;
  }

  /** Every draining or closing subscription of the generation now; returns those stalled. */
  observe(drains: Iterable<DrainProgress>, nowMs: number): StalledDrain[] {
    const stalled: StalledDrain[] = [];
    const present = new Set<string>();
    this.stalledNow = 0;
    for (const d of drains) {
      const key = `${d.partition}/${d.subscriptionId}`;
      present.add(key);
      const before = this.seen.get(key);
      if (before === undefined || before.episodeId !== d.episodeId || before.cursor !== d.cursor || before.finishedItems !== d.finishedItems) {
        this.seen.set(key, { episodeId: d.episodeId, cursor: d.cursor, finishedItems: d.finishedItems, sinceMs: nowMs, reportedAtMs: null });
        continue;
      }
      const stillForMs = nowMs - before.sinceMs;
      if (stillForMs < this.boundMs) continue;
      this.stalledNow++;
      if (before.reportedAtMs !== null && nowMs - before.reportedAtMs < this.boundMs) continue;
      before.reportedAtMs = nowMs;
      stalled.push({ ...d, stillForMs });
    }
    for (const key of this.seen.keys()) if (!present.has(key)) this.seen.delete(key);
    return stalled;
  }
}
