/**
 * Where each item of a subscription goes while it is parked, draining or back to live
 * (issue 5 §2–3; pure, one ledger per owned partition). It keeps order at both seams:
 *
 * - parking: items after the head go to `webhook.parked`; an item at or below the
 *   high-water offset (already in the head or the backlog, re-read after a crash) is skipped,
 *   so each parked item is written once;
 * - draining: while the backlog drains, new live items still go behind it; once the drain
 *   has written its end marker (`closing`), live items are held in memory — not committed —
 *   until the drain reads the marker, then released in order before live delivery resumes.
 *
 * The ledger is rebuilt from Kafka (parked topic and tickets) after an assignment; it is
 * never the only copy of anything.
 */
export type SubscriptionParking =
  | { readonly kind: 'parked'; readonly episodeId: string; readonly highWater: bigint; readonly backlogSize: number }
  | { readonly kind: 'draining'; readonly episodeId: string; readonly highWater: bigint; readonly backlogSize: number }
  | { readonly kind: 'closing'; readonly episodeId: string; readonly highWater: bigint; readonly held: readonly bigint[] };

export type ItemRoute =
  | { readonly kind: 'deliver' }
  | { readonly kind: 'park'; readonly episodeId: string }
  | { readonly kind: 'hold' }
  | { readonly kind: 'skip'; readonly reason: 'already parked' };

export type LedgerChange =
  | { readonly kind: 'ok' }
  | { readonly kind: 'stale'; readonly reason: string };

const stale = (reason: string): LedgerChange => ({ kind: 'stale', reason });
const ok: LedgerChange = { kind: 'ok' };

export class ParkingLedger {
  private readonly subs = new Map<string, SubscriptionParking>();

  stateOf(subscriptionId: string): SubscriptionParking | { readonly kind: 'active' } {
    return this.subs.get(subscriptionId) ?? { kind: 'active' };
  }

  /** Where a `webhook.deliveries` item at `offset` goes. */
  route(subscriptionId: string, offset: bigint): ItemRoute {
    const s = this.subs.get(subscriptionId);
    if (s === undefined) return { kind: 'deliver' };
    if (offset <= s.highWater) return { kind: 'skip', reason: 'already parked' };
    switch (s.kind) {
      case 'parked':
      case 'draining':
        return { kind: 'park', episodeId: s.episodeId };
      case 'closing':
        return { kind: 'hold' };
      default: {
        const unreachable: never = s;
        throw new Error(`unknown parking state ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** The head (items up to `throughOffset`) failed its quick retries and its ticket is written. */
  park(subscriptionId: string, episodeId: string, throughOffset: bigint): LedgerChange {
    if (this.subs.has(subscriptionId)) return stale(`already ${this.stateOf(subscriptionId).kind}`);
    this.subs.set(subscriptionId, { kind: 'parked', episodeId, highWater: throughOffset, backlogSize: 0 });
    return ok;
  }

  /** An item routed `park` is acknowledged by `webhook.parked`. */
  parked(subscriptionId: string, offset: bigint): LedgerChange {
    const s = this.subs.get(subscriptionId);
    if (s === undefined || s.kind === 'closing') return stale(`cannot park an item while ${s?.kind ?? 'active'}`);
    if (offset <= s.highWater) return stale('offset already parked');
    this.subs.set(subscriptionId, { ...s, highWater: offset, backlogSize: s.backlogSize + 1 });
    return ok;
  }

  /** The head of `episodeId` succeeded: drain the backlog; live items still go behind it. */
  headRecovered(subscriptionId: string, episodeId: string): LedgerChange {
    const s = this.subs.get(subscriptionId);
    if (s?.kind !== 'parked' || s.episodeId !== episodeId) return stale('not the parked episode');
    this.subs.set(subscriptionId, { ...s, kind: 'draining' });
    return ok;
  }

  /** A backlog item was delivered by the drain. */
  drainedItem(subscriptionId: string): void {
    const s = this.subs.get(subscriptionId);
    if (s !== undefined && s.kind !== 'closing') this.subs.set(subscriptionId, { ...s, backlogSize: Math.max(0, s.backlogSize - 1) });
  }

  /** The drain reached the end of what was parked and wrote its end marker: hold live items from now on. */
  endMarkerWritten(subscriptionId: string, episodeId: string): LedgerChange {
    const s = this.subs.get(subscriptionId);
    if (s?.kind !== 'draining' || s.episodeId !== episodeId) return stale('not draining this episode');
    this.subs.set(subscriptionId, { kind: 'closing', episodeId, highWater: s.highWater, held: [] });
    return ok;
  }

  /** An item routed `hold` is kept in memory (its offset stays uncommitted). */
  held(subscriptionId: string, offset: bigint): LedgerChange {
    const s = this.subs.get(subscriptionId);
    if (s?.kind !== 'closing') return stale('not closing');
    this.subs.set(subscriptionId, { ...s, held: [...s.held, offset] });
    return ok;
  }

  /**
   * The drain read its own end marker: the subscription is live again. Returns the held
   * offsets, in order, to deliver before anything newer.
   */
  drained(subscriptionId: string, episodeId: string): { readonly kind: 'live'; readonly release: readonly bigint[] } | LedgerChange {
    const s = this.subs.get(subscriptionId);
    if (s?.kind !== 'closing' || s.episodeId !== episodeId) return stale('not closing this episode');
    this.subs.delete(subscriptionId);
    return { kind: 'live', release: s.held };
  }

  /**
   * A backlog item failed during the drain: it is the new head (new episode). Held items, if
   * any, must be parked behind the marker, in order, before newer items.
   */
  reparked(subscriptionId: string, episodeId: string): { readonly kind: 'reparked'; readonly toPark: readonly bigint[] } | LedgerChange {
    const s = this.subs.get(subscriptionId);
    if (s === undefined || s.kind === 'parked') return stale(`cannot repark while ${s?.kind ?? 'active'}`);
    const toPark = s.kind === 'closing' ? s.held : [];
    const backlogSize = s.kind === 'closing' ? 0 : s.backlogSize;
    this.subs.set(subscriptionId, { kind: 'parked', episodeId, highWater: s.highWater, backlogSize });
    return { kind: 'reparked', toPark };
  }

  /** Deactivated, paused or disabled: live routing stops caring (the catalogue state filters new items). */
  forget(subscriptionId: string): void {
    this.subs.delete(subscriptionId);
  }
}
