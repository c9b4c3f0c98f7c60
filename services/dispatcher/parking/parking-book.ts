/**
 * Parking state of the subscriptions of one owned partition (issue 5 §2–3; pure).
 *
 * A parked subscription's backlog is one queue per subscription in `webhook.parked`
 * (partition N, interleaved with other subscriptions). The book knows, per subscription:
 * the episode, the phase, the *cursor* (parked offset at or below which this
 * subscription's items are finished: delivered, audited, or part of an earlier head), the
 * highest item offset seen (read back or written by this instance). Apart from the
 * entries, the book remembers the exact `webhook.deliveries` offsets that a previous owner
 * put in a head or backlog and that this owner has not read live yet: when they are read
 * again from the committed offset they are skipped, everything else is taken. (Not a
 * high-water mark: a GPS subscription's batches close per vehicle, so what was parked
 * before a crash is not a prefix of the partition — other vehicles' items below the
 * highest parked offset may still have been in open batches.)
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
  /**
   * Highest backlog item read and passed over: only counted (while parked, or while the
   * partition was scanned), or handed to an episode that has since been replaced. Items above
   * `queuedThrough` and up to this offset must be read again for the drain; items appended and
   * not read yet need no re-read (the reader gets to them going forward).
   */
  readonly passedThrough: bigint;
  /**
   * The cursor as a rebuild would restore it from `webhook.parked`: the begin marker's, or
   * the last progress marker written (acknowledged) or read. The commit floor follows it, not
   * the cursor in memory: the drain moves that before its progress marker lands, and audits
   * write none, so a floor on it would start a rebuild above items the rebuilt cursor still
   * waits for, and their re-read would pass records the rebuild never saw.
   */
  readonly persisted: bigint;
  /**
   * Where the partition must be read again from for this backlog's drain, once: set when
   * passed-over items become drainable (the head recovered or closed, a recovery began, or an
   * item of a draining backlog was only counted), cleared when the reader rewinds for it.
   */
  readonly rereadAt: bigint | null;
  /** Items seen above the cursor. Exact while this instance wrote them; after a rebuild, what was read back. */
  readonly backlog: number;
  /** Backlog items that became the head after a failure during a drain: finished, never drained again. */
  readonly inHead: ReadonlySet<bigint>;
  /** Offset of the episode's begin marker, once read or written: kept readable for a rebuild. */
  readonly beginAt: bigint | null;
  /** A recovery's items still belong to this backlog (carried into an episode that began during its drain). */
  readonly recovery: RecoveryRange | null;
}

/** The audited items a recovery wrote back (`recovery-item` records of `episodeId` in [first, last]) and its marker. */
export interface RecoveryRange {
  readonly episodeId: string;
  readonly first: bigint;
  readonly last: bigint;
  readonly markerAt: bigint;
}

/** What to do with a backlog item read from `webhook.parked`. */
export type ParkedItemRoute = 'drain' | 'audit' | 'count' | 'skip' | 'finished';

/** What to do with a live `webhook.deliveries` item at read time. */
export type LiveRoute = 'take' | 'skip';

export const unknownEpisode = '?';

const endedEpisodesKept = 8;

export class ParkingBook {
  private readonly subs = new Map<string, SubscriptionParking>();
  /** Deliveries offsets in a head or backlog written before this owner read them live (see the class comment). */
  private readonly taken = new Map<string, Set<number>>();
  /** Highest deliveries offset read live by this owner; offsets at or below it were routed here already. */
  private liveReadThrough = -1;
  private liveStarted = false;
  /** After an episode: this subscription's parked items below this offset (its end marker) belong to it. */
  private readonly endedAt = new Map<string, bigint>();
  /** The last episodes that ended here, per subscription (a late ticket of one is an orphan). */
  private readonly endedEpisodes = new Map<string, string[]>();

  get(subscriptionId: string): SubscriptionParking | undefined {
    return this.subs.get(subscriptionId);
  }

  get size(): number {
    return this.subs.size;
  }

  entries(): IterableIterator<[string, SubscriptionParking]> {
    return this.subs.entries();
  }

  /**
   * A live item read from `webhook.deliveries` (every one, in partition order): skipped when
   * a previous owner had put it in a head or backlog (read again after a crash or rebalance).
   */
  routeLive(subscriptionId: string, deliveriesOffset: number): LiveRoute {
    if (!this.liveStarted) {
      this.liveStarted = true;
      // The partition is read in order from here: anything remembered below it is never read again.
      this.prune(deliveriesOffset);
    }
    if (deliveriesOffset > this.liveReadThrough) this.liveReadThrough = deliveriesOffset;
    const set = this.taken.get(subscriptionId);
    if (set === undefined || !set.delete(deliveriesOffset)) return 'take';
    if (set.size === 0) this.taken.delete(subscriptionId);
    return 'skip';
  }

  /** Live reading starts at this committed deliveries offset: items parked below it are never read again, so need not be remembered. */
  liveFrom(committedOffset: number): void {
    if (this.liveStarted || committedOffset - 1 <= this.liveReadThrough) return;
    this.liveReadThrough = committedOffset - 1;
    this.prune(committedOffset);
  }

  /** Live items a head or backlog holds (read back from `webhook.parked`); those this owner has not read live yet are remembered. */
  private remember(subscriptionId: string, deliveriesOffsets: Iterable<number>): void {
    for (const o of deliveriesOffsets) {
      if (o <= this.liveReadThrough) continue;
      let set = this.taken.get(subscriptionId);
      if (set === undefined) this.taken.set(subscriptionId, (set = new Set()));
      set.add(o);
    }
  }

  private prune(below: number): void {
    for (const [id, set] of this.taken) {
      for (const o of set) if (o < below) set.delete(o);
      if (set.size === 0) this.taken.delete(id);
    }
  }

  /**
   * The head failed and its ticket and begin marker are written (by this instance, or
   * read back). `backlogAfter` is the cursor: by default the marker's own offset; after a
   * failure during a drain, the last item of the failed request (the rest of the old
   * backlog stays in place, before the marker). `headOffsets`: the head's deliveries offsets.
   * `finished`: items of the old backlog above the cursor that its drain delivered (skipped
   * like the head's). True when a new episode began (its drain starts afresh from the cursor).
   */
  begin(subscriptionId: string, b: { episodeId: string; markerOffset: bigint; headOffsets: readonly number[]; backlogAfter?: bigint; inHead?: readonly bigint[]; finished?: readonly bigint[] }): boolean {
    this.remember(subscriptionId, b.headOffsets);
    const s = this.subs.get(subscriptionId);
    if (s?.episodeId === b.episodeId || this.isPast(subscriptionId, b.markerOffset)) return false;
    // An earlier episode's marker read again (a backlog reparked twice is re-read from a cursor below the first repark):
    // the later episode stays.
    if (s?.beginAt !== null && s?.beginAt !== undefined && b.markerOffset < s.beginAt) return false;
    const cursor = b.backlogAfter ?? b.markerOffset;
    // Items, not markers: after a repark the remaining backlog ends before this marker, and
    // complete() must not wait for an item at the marker's offset that will never come.
    const seenThrough = s === undefined ? cursor : max(s.seenThrough, cursor);
    const backlog = s === undefined || b.backlogAfter === undefined ? 0 : s.backlog;
    const head = new Set(b.inHead ?? []);
    const inHead = new Set([...head, ...(b.finished ?? []).filter((o) => o > cursor)]);
    // A repark: what the old episode saw above the new cursor is read again for the new one's drain.
    const passedThrough = s === undefined ? cursor : max(s.passedThrough, s.seenThrough);
    this.subs.set(subscriptionId, {
      episodeId: b.episodeId, phase: 'parked', cursor, seenThrough, queuedThrough: cursor, passedThrough, persisted: cursor, rereadAt: null, backlog: Math.max(0, backlog - head.size), inHead, beginAt: b.markerOffset,
      recovery: s?.recovery ?? null,
    });
    return true;
  }

  /**
   * A recovery marker (issue 15): an episode begins, already draining, whose backlog is the
   * recovery's items written before the marker. Refused (false) while another episode is
   * open, for a marker read again after its episode ended, or one this book has seen.
   */
  beginRecovery(subscriptionId: string, r: { episodeId: string; markerOffset: bigint; first: bigint; last: bigint; items: number }): boolean {
    if (this.subs.has(subscriptionId) || this.isPast(subscriptionId, r.markerOffset) || this.hasEnded(subscriptionId, r.episodeId)) return false;
    const cursor = r.first - 1n;
    this.subs.set(subscriptionId, {
      // Its items precede the marker and were read before it (ignored then): all of them are read again.
      episodeId: r.episodeId, phase: 'draining', cursor, seenThrough: r.last, queuedThrough: cursor, passedThrough: r.last, persisted: cursor, rereadAt: r.first, backlog: r.items, inHead: new Set(), beginAt: r.markerOffset,
      recovery: { episodeId: r.episodeId, first: r.first, last: r.last, markerAt: r.markerOffset },
    });
    return true;
  }

  /** A `recovery-item` record belongs to the subscription's backlog only inside its recovery's range (else: an orphan of an attempt that never wrote its marker). */
  isRecoveryItem(subscriptionId: string, episodeId: string, parkedOffset: bigint): boolean {
    const r = this.subs.get(subscriptionId)?.recovery;
    return r !== undefined && r !== null && r.episodeId === episodeId && parkedOffset >= r.first && parkedOffset <= r.last;
  }

  /** This instance appended live items to the backlog at these parked offsets (acknowledged). */
  appended(subscriptionId: string, lastParkedOffset: bigint, count: number): void {
    const s = this.subs.get(subscriptionId);
    if (s === undefined) return;
    this.subs.set(subscriptionId, { ...s, seenThrough: max(s.seenThrough, lastParkedOffset), backlog: s.backlog + count });
  }

  /**
   * A backlog item read from `webhook.parked`. While `scanning` (catching up after an
   * assignment) items are only counted; `rereadFrom()` then says where the drain starts.
   */
  item(subscriptionId: string, parkedOffset: bigint, deliveriesOffset: number, scanning = false): ParkedItemRoute {
    this.remember(subscriptionId, [deliveriesOffset]);
    let s = this.subs.get(subscriptionId);
    if (s === undefined) {
      if (this.isPast(subscriptionId, parkedOffset)) return 'skip';
      // Read before its episode's marker (a rebuild that starts inside a backlog whose begin marker follows it).
      s = { episodeId: unknownEpisode, phase: 'parked', cursor: parkedOffset - 1n, seenThrough: parkedOffset - 1n, queuedThrough: parkedOffset - 1n, passedThrough: parkedOffset - 1n, persisted: parkedOffset - 1n, rereadAt: null, backlog: 0, inHead: new Set(), beginAt: null, recovery: null };
    }
    if (parkedOffset <= s.cursor) return 'skip';
    if (parkedOffset > s.seenThrough) {
      s = { ...s, seenThrough: parkedOffset, backlog: s.backlog + 1 };
    }
    if (parkedOffset <= s.queuedThrough) {
      this.subs.set(subscriptionId, s);
      return 'skip';
    }
    if (s.phase === 'parked' || scanning) {
      // A draining backlog's item only counted (the partition is scanned, or read again from a cursor): it is read again.
      const rereadAt = s.phase === 'parked' || (s.rereadAt !== null && s.rereadAt <= parkedOffset) ? s.rereadAt : parkedOffset;
      this.subs.set(subscriptionId, { ...s, passedThrough: max(s.passedThrough, parkedOffset), rereadAt });
      return 'count';
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
    // Items passed over while parked are read again from the cursor, once.
    this.subs.set(subscriptionId, { ...s, episodeId, phase, queuedThrough: s.cursor, rereadAt: s.passedThrough > s.cursor ? s.cursor + 1n : null });
    return true;
  }

  /**
   * Where the partition must be read again from so that draining and closing backlogs
   * reach their drain (items passed over while parked or scanning), or null. Asked for once
   * per event (`rereadAt`), not recomputed after every fetch from the queued position: that
   * rewound to just after a backlog's last queued item after every fetch, so the reader read
   * the same records again and again, and forever when the backlog's next item was more than
   * one fetch away (the stall of dispatcher-crash-while-parked).
   */
  rereadFrom(): bigint | null {
    let min: bigint | null = null;
    for (const s of this.subs.values()) {
      if (s.phase === 'parked' || s.rereadAt === null) continue;
      if (min === null || s.rereadAt < min) min = s.rereadAt;
    }
    return min;
  }

  /** The reader reads the partition again from `from` (or reads on to it): every re-read asked for at or above it is under way. */
  rereading(from: bigint): void {
    for (const [id, s] of this.subs) if (s.rereadAt !== null && s.rereadAt >= from) this.subs.set(id, { ...s, rereadAt: null });
  }

  /**
   * Drain progress of `episodeId` (written by the owner after each delivered drain request,
   * or read back after a crash): the cursor, the items finished above it, and the exact
   * backlog left. A rebuild resumes the drain there instead of from the begin marker.
   */
  progress(subscriptionId: string, episodeId: string, p: { cursor: bigint; finished: readonly bigint[]; backlog: number }, written = true): void {
    const s = this.subs.get(subscriptionId);
    if (s === undefined || (s.episodeId !== episodeId && s.episodeId !== unknownEpisode)) return;
    const cursor = max(s.cursor, p.cursor);
    const inHead = new Set([...s.inHead, ...p.finished].filter((o) => o > cursor));
    this.subs.set(subscriptionId, { ...s, episodeId, cursor, seenThrough: max(s.seenThrough, cursor), queuedThrough: max(s.queuedThrough, cursor), passedThrough: max(s.passedThrough, cursor),
      persisted: written ? max(s.persisted, p.cursor) : s.persisted, rereadAt: s.rereadAt === null ? null : max(s.rereadAt, cursor + 1n), inHead, backlog: p.backlog });
  }

  /** The progress marker of `episodeId` with this cursor is acknowledged (the commit floor may follow it). */
  progressWritten(subscriptionId: string, episodeId: string, cursor: bigint): void {
    const s = this.subs.get(subscriptionId);
    if (s === undefined || s.episodeId !== episodeId || cursor <= s.persisted) return;
    this.subs.set(subscriptionId, { ...s, persisted: cursor });
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
    if (s === undefined) {
      // The end of an episode this book never saw open (it began below where a rebuild started): its earlier
      // records are past, so a re-read from below for another backlog does not open it again.
      if (markerOffset > (this.endedAt.get(subscriptionId) ?? -1n)) this.ended(subscriptionId, episodeId, markerOffset);
      return false;
    }
    if (s.episodeId !== episodeId && s.episodeId !== unknownEpisode) return false;
    this.subs.delete(subscriptionId);
    this.ended(subscriptionId, episodeId, markerOffset);
    return true;
  }

  private ended(subscriptionId: string, episodeId: string, markerOffset: bigint): void {
    this.endedAt.set(subscriptionId, markerOffset);
    const ended = [...(this.endedEpisodes.get(subscriptionId) ?? []).filter((e) => e !== episodeId), episodeId].slice(-endedEpisodesKept);
    this.endedEpisodes.set(subscriptionId, ended);
  }

  hasEnded(subscriptionId: string, episodeId: string): boolean {
    return this.endedEpisodes.get(subscriptionId)?.includes(episodeId) === true && this.subs.get(subscriptionId)?.episodeId !== episodeId;
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
      // (A recovery's marker follows its items, so while any remains above the cursor the marker is read again too.)
      const need = s.beginAt !== null && s.beginAt < s.persisted + 1n ? s.beginAt : s.persisted + 1n;
      if (min === null || need < min) min = need;
    }
    return min;
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
