import type { ReplayChunk, ReplayEnd, ReplayRange, ReplayRecord } from '../../shared/replay/replay-records.js';

/** What the owner knows of one replay from `webhook.replays`. */
export interface ReplayEntry {
  readonly replayId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly requestedAt: string;
  /** Null until the first `progress` fixed the offsets. */
  readonly ranges: readonly ReplayRange[] | null;
  readonly chunk: ReplayChunk | null;
  readonly sent: number;
  readonly items: number;
  readonly cancelRequested: boolean;
  readonly ended: ReplayEnd | null;
}

/**
 * The replays of one `webhook.replays` partition, folded from its records in order (pure).
 * A record of a replay whose request was not read (outside retention, or malformed) is
 * passed over.
 */
export class ReplayBook {
  private readonly entries = new Map<string, ReplayEntry>();

  apply(r: ReplayRecord): ReplayEntry | null {
    if (r.type === 'request') {
      if (this.entries.has(r.replayId)) return this.entries.get(r.replayId) ?? null;
      const entry: ReplayEntry = {
        replayId: r.replayId, subscriptionId: r.subscriptionId, accountId: r.accountId, fromMs: r.fromMs, toMs: r.toMs, requestedAt: r.requestedAt,
        ranges: null, chunk: null, sent: 0, items: 0, cancelRequested: false, ended: null,
      };
      this.entries.set(r.replayId, entry);
      return entry;
    }
    const known = this.entries.get(r.replayId);
    if (known === undefined) return null;
    const next: ReplayEntry = r.type === 'cancel' ? { ...known, cancelRequested: true }
      : r.type === 'progress' ? { ...known, ranges: r.ranges, chunk: r.chunk, sent: r.sent, items: r.items }
        : { ...known, ended: known.ended ?? r.type, sent: r.sent, items: r.items };
    this.entries.set(r.replayId, next);
    return next;
  }

  get(replayId: string): ReplayEntry | undefined {
    return this.entries.get(replayId);
  }

  /** Replays not ended yet, in request order. */
  open(): ReplayEntry[] {
    return [...this.entries.values()].filter((e) => e.ended === null);
  }
}
