/**
 * Parking state of the subscriptions of one owned partition (issue 5 §2–3; pure).
 *
 * A parked subscription's backlog is one queue per subscription in `webhook.parked`
 * (partition N, interleaved with other subscriptions). The book knows, per subscription:
 * the episode, the phase, the *cursor* (parked offset at or below which this
 * subscription's items are finished: delivered, audited, or part of an earlier head), the
 * highest item offset seen (read back or written by this instance), and the
 * `webhook.deliveries` offset up to which live items are already in the head or backlog.
 *
 * Order is kept by one rule, applied inside the subscription's serial queue: while a
 * subscription has an entry here, its live items are appended to the backlog, never
 * delivered; the drain delivers the backlog in order; the entry is removed only when the
 * cursor has reached every item seen — so the next live request starts exactly where the
 * backlog ended. The book is rebuilt from `webhook.parked` after an assignment: it is
 * never the only copy of anything.
 */
export type ParkingPhase = 'parked' | 'draining' | 'closing';

export interface SubscriptionParking {
  readonly episodeId: string;
  readonly phase: ParkingPhase;
  readonly cursor: bigint;
  readonly seenThrough: bigint;
  /** Highest backlog item handed to the drain (or the audit) and not yet finished. */
  readonly queuedThrough: bigint;
  /** Live items at or below this `webhook.deliveries` offset are already in the head or the backlog. */
  readonly headThrough: bigint;
  /** Items seen above the cursor. Exact while this instance wrote them; after a rebuild, what was read back. */
  readonly backlog: number;
  /** Backlog items that became the head after a failure during a drain: finished, never drained again. */
  readonly inHead: ReadonlySet<bigint>;
  /** Offset of the episode's begin marker, once read or written: kept readable for a rebuild. */
  readonly beginAt: bigint | null;
}

/** What to do with a backlog item read from `webhook.parked`. */
export type ParkedItemRoute = 'drain' | 'audit' | 'count' | 'skip' | 'finished';

/** What to do with a live `webhook.deliveries` item at read time. */
export type LiveRoute = 'take' | 'skip';

export const unknownEpisode = '?';

export class ParkingBook {
  private readonly subs = new Map<string, SubscriptionParking>();
  /** After an episode: live items at or below this deliveries offset were part of its backlog (re-read after a crash). */
  private readonly retired = new Map<string, bigint>();
  /** After an episode: this subscription's parked items below this offset (its end marker) belong to it. */
  private readonly endedAt = new Map<string, bigint>();

  get(subscriptionId: string): SubscriptionParking | undefined {
    return this.subs.get(subscriptionId);
  }

  get size(): number {
    return this.subs.size;
  }

  entries(): IterableIterator<[string, SubscriptionParking]> {
    return this.subs.entries();
  }

  /** Live items already in a head or backlog (re-read after a crash or rebalance) are skipped. */
  routeLive(subscriptionId: string, deliveriesOffset: bigint): LiveRoute {
    const s = this.subs.get(subscriptionId);
    const through = s?.headThrough ?? this.retired.get(subscriptionId);
    return through !== undefined && deliveriesOffset <= through ? 'skip' : 'take';
  }

  /**
   * The head failed and its ticket and begin marker are written (by this instance, or
   * read back). `backlogAfter` is the cursor: by default the marker's own offset; after a
   * failure during a drain, the last item of the failed request (the rest of the old
   * backlog stays in place, before the marker).
   */
  begin(subscriptionId: string, b: { episodeId: string; markerOffset: bigint; headThrough: bigint; backlogAfter?: bigint; inHead?: readonly bigint[] }): void {
    const s = this.subs.get(subscriptionId);
    if (s?.episodeId === b.episodeId || this.isPast(subscriptionId, b.markerOffset)) return;
    const cursor = b.backlogAfter ?? b.markerOffset;
    // Items, not markers: after a repark the remaining backlog ends before this marker, and
    // complete() must not wait for an item at the marker's offset that will never come.
    const seenThrough = s === undefined ? cursor : max(s.seenThrough, cursor);
    const headThrough = s === undefined ? b.headThrough : max(s.headThrough, b.headThrough);
    const backlog = s === undefined || b.backlogAfter === undefined ? 0 : s.backlog;
    const inHead = new Set(b.inHead ?? []);
    this.subs.set(subscriptionId, { episodeId: b.episodeId, phase: 'parked', cursor, seenThrough, queuedThrough: cursor, headThrough, backlog: Math.max(0, backlog - inHead.size), inHead, beginAt: b.markerOffset });
    this.retired.delete(subscriptionId);
  }

  /** This instance appended live items to the backlog at these parked offsets (acknowledged). */
  appended(subscriptionId: string, lastParkedOffset: bigint, lastDeliveriesOffset: bigint, count: number): void {
    const s = this.subs.get(subscriptionId);
    if (s === undefined) return;
    this.subs.set(subscriptionId, {
      ...s, seenThrough: max(s.seenThrough, lastParkedOffset), headThrough: max(s.headThrough, lastDeliveriesOffset), backlog: s.backlog + count,
    });
  }

  /**
   * A backlog item read from `webhook.parked`. While `scanning` (catching up after an
   * assignment) items are only counted; `rereadFrom()` then says where the drain starts.
   */
  item(subscriptionId: string, parkedOffset: bigint, deliveriesOffset: bigint, scanning = false): ParkedItemRoute {
    let s = this.subs.get(subscriptionId);
    if (s === undefined) {
      if (this.isPast(subscriptionId, parkedOffset)) return 'skip';
      // Read before its episode's marker (a rebuild that starts inside a backlog whose begin marker follows it).
      s = { episodeId: unknownEpisode, phase: 'parked', cursor: parkedOffset - 1n, seenThrough: parkedOffset - 1n, queuedThrough: parkedOffset - 1n, headThrough: deliveriesOffset, backlog: 0, inHead: new Set(), beginAt: null };
    }
    if (parkedOffset <= s.cursor) return 'skip';
    if (parkedOffset > s.seenThrough) {
      s = { ...s, seenThrough: parkedOffset, headThrough: max(s.headThrough, deliveriesOffset), backlog: s.backlog + 1 };
    }
    if (s.phase === 'parked' || scanning || parkedOffset <= s.queuedThrough) {
      this.subs.set(subscriptionId, s);
      return s.phase === 'parked' || scanning ? 'count' : 'skip';
    }
    this.subs.set(subscriptionId, { ...s, queuedThrough: parkedOffset });
    if (s.inHead.has(parkedOffset)) return 'finished';
    return s.phase === 'draining' ? 'drain' : 'audit';
  }

  /**
   * The head of `episodeId` succeeded (draining) or reached its limit (closing: the backlog
   * goes to the audit topic). False when stale (another episode, or already settled).
   */
  settle(subscriptionId: string, episodeId: string, phase: 'draining' | 'closing', markerOffset: bigint): boolean {
    const s = this.subs.get(subscriptionId);
    if (s === undefined || this.isPast(subscriptionId, markerOffset) || s.phase !== 'parked' || (s.episodeId !== episodeId && s.episodeId !== unknownEpisode)) return false;
    this.subs.set(subscriptionId, { ...s, episodeId, phase, queuedThrough: s.cursor });
    return true;
  }

  /**
   * Where the partition must be read again from so that draining and closing backlogs
   * reach their drain (items passed over while parked or scanning), or null.
   */
  rereadFrom(): bigint | null {
    let min: bigint | null = null;
    for (const s of this.subs.values()) {
      if (s.phase === 'parked' || s.seenThrough <= s.queuedThrough) continue;
      if (min === null || s.queuedThrough + 1n < min) min = s.queuedThrough + 1n;
    }
    return min;
  }

  /** Items up to `parkedOffset` are finished (delivered by the drain, or audited). */
  finished(subscriptionId: string, parkedOffset: bigint, count: number): void {
    const s = this.subs.get(subscriptionId);
    if (s === undefined || parkedOffset <= s.cursor) return;
    this.subs.set(subscriptionId, { ...s, cursor: parkedOffset, backlog: Math.max(0, s.backlog - count) });
  }

  /** Draining or closing, and every item seen is finished: the episode can end. */
  complete(subscriptionId: string): boolean {
    const s = this.subs.get(subscriptionId);
    return s !== undefined && s.phase !== 'parked' && s.cursor >= s.seenThrough;
  }

  /** The episode is over (drained or audited; its end marker at `markerOffset`): live delivery resumes. */
  end(subscriptionId: string, episodeId: string, markerOffset: bigint): boolean {
    const s = this.subs.get(subscriptionId);
    if (s === undefined || (s.episodeId !== episodeId && s.episodeId !== unknownEpisode)) return false;
    this.subs.delete(subscriptionId);
    this.retired.set(subscriptionId, s.headThrough);
    this.endedAt.set(subscriptionId, markerOffset);
    return true;
  }

  /** A record of an episode that has ended here (read again after a seek for another subscription's drain). */
  private isPast(subscriptionId: string, parkedOffset: bigint): boolean {
    return parkedOffset < (this.endedAt.get(subscriptionId) ?? -1n);
  }

  /** Parked offset below which nothing of this partition is needed any more (the commit floor: every open episode's begin marker and unfinished items), or null. */
  floor(): bigint | null {
    let min: bigint | null = null;
    for (const s of this.subs.values()) {
      // The begin marker too: a rebuild that starts after it would know the items but not the episode.
      const need = s.beginAt !== null && s.beginAt < s.cursor + 1n ? s.beginAt : s.cursor + 1n;
      if (min === null || need < min) min = need;
    }
    return min;
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
