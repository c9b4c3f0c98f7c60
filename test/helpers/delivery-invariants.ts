import type { ParsedDelivery } from './webhook-delivery.js';

/** An item the producer library had acknowledged (acks=all) and the subscription matches. */
export interface ExpectedItem {
  readonly vehicleId: string;
  readonly seq: number;
  readonly publishedAtMs: number;
}

/** Everything known about one subscription at the end of a run. */
export interface SubscriptionEvidence {
  readonly subscriptionId: string;
  /** `vehicle`: each vehicle's items arrive in seq order; `subscription`: in the order of `referenceOrder`. */
  readonly orderScope: 'vehicle' | 'subscription';
  readonly expected: readonly ExpectedItem[];
  /** Keys whose publish failed (the broker may or may not hold them): neither required nor unexpected. */
  readonly uncertain: ReadonlySet<string>;
  /** Requests the endpoint answered 2xx, in arrival order. */
  readonly accepted: readonly ParsedDelivery[];
  /** Every request that reached the endpoint whatever it answered: signatures are checked on all. */
  readonly received: readonly ParsedDelivery[];
  /** Keys found on `webhook.audit` for this subscription. */
  readonly audited: ReadonlySet<string>;
  /** Item keys in `webhook.deliveries` order, first occurrence (for `subscription` scope). */
  readonly referenceOrder?: readonly string[];
  /** When the subscription was deactivated: items published later need not arrive anywhere. */
  readonly deactivatedAtMs?: number | null;
  /**
   * Keys the match stage sent to the subscription (on `webhook.deliveries`). With a
   * deactivation, an item published before it but matched after it (the match stage was
   * behind, e.g. during a failover) is rightly not matched: it is counted, not required.
   */
  readonly matched?: ReadonlySet<string>;
}

export interface SubscriptionVerdict {
  readonly subscriptionId: string;
  readonly expected: number;
  readonly delivered: number;
  readonly audited: number;
  /** Items that arrived more than once (same webhook-id: allowed, at-least-once). */
  readonly repeats: number;
  readonly missing: readonly ExpectedItem[];
  /** Items repeated under a different webhook-id. */
  readonly idChanges: readonly string[];
  readonly orderBreaks: readonly string[];
  readonly badSignatures: number;
  /** Delivered items nobody published for this subscription. */
  readonly unexpected: readonly string[];
  /** Items of a deactivated subscription published before its deactivation and never matched (not a violation). */
  readonly unmatchedBeforeDeactivation: number;
}

export const itemKey = (vehicleId: string, seq: number): string => `${vehicleId}#${seq}`;

/** First copies in arrival order, repeats, and repeats that changed webhook-id. */
function firstCopies(accepted: readonly ParsedDelivery[]): { first: { key: string; vehicleId: string; seq: number }[]; repeats: number; idChanges: string[] } {
  const firstOf = new Map<string, ParsedDelivery>();
  const first: { key: string; vehicleId: string; seq: number }[] = [];
  const idChanges: string[] = [];
  let repeats = 0;
  for (const d of accepted) {
    for (const item of d.items) {
      const key = itemKey(item.vehicleId, item.seq);
      const seen = firstOf.get(key);
      if (seen === undefined) {
        firstOf.set(key, d);
        first.push({ key, vehicleId: item.vehicleId, seq: item.seq });
      } else {
        repeats++;
        if (seen.webhookId !== d.webhookId) idChanges.push(`${key}: ${describeRequest(seen)} then ${describeRequest(d)}`);
      }
    }
  }
  return { first, repeats, idChanges };
}

/** A request for a report: its id, when it arrived and its items' range. */
function describeRequest(d: ParsedDelivery): string {
  const a = d.items[0];
  const b = d.items[d.items.length - 1];
  const range = a === undefined || b === undefined ? 'no items' : `${itemKey(a.vehicleId, a.seq)}..${itemKey(b.vehicleId, b.seq)}`;
  return `${d.webhookId} (${new Date(d.receivedAt).toISOString().slice(11, 23)}, ${d.items.length} items ${range})`;
}

function orderBreaks(e: SubscriptionEvidence, first: readonly { key: string; vehicleId: string; seq: number }[]): string[] {
  const breaks: string[] = [];
  if (e.orderScope === 'vehicle') {
    const last = new Map<string, number>();
    for (const f of first) {
      const prev = last.get(f.vehicleId);
      if (prev !== undefined && f.seq <= prev) breaks.push(`${f.key} after ${itemKey(f.vehicleId, prev)}`);
      last.set(f.vehicleId, prev === undefined ? f.seq : Math.max(prev, f.seq));
    }
    return breaks;
  }
  const position = new Map<string, number>();
  (e.referenceOrder ?? []).forEach((k, i) => { if (!position.has(k)) position.set(k, i); });
  let lastPos = -1;
  let lastKey = '';
  for (const f of first) {
    const p = position.get(f.key);
    if (p === undefined) continue;
    if (p < lastPos) breaks.push(`${f.key} after ${lastKey}`);
    else {
      lastPos = p;
      lastKey = f.key;
    }
  }
  return breaks;
}

/** The end-of-run checks for one subscription (pure): no loss, webhook-id stable on repeats, order, signatures. */
export function checkSubscription(e: SubscriptionEvidence): SubscriptionVerdict {
  const { first, repeats, idChanges } = firstCopies(e.accepted);
  const delivered = new Set(first.map((f) => f.key));
  const expectedKeys = new Set(e.expected.map((x) => itemKey(x.vehicleId, x.seq)));
  const deactivatedAt = e.deactivatedAtMs ?? null;
  let unmatchedBeforeDeactivation = 0;
  const missing = e.expected.filter((x) => {
    const key = itemKey(x.vehicleId, x.seq);
    if (delivered.has(key) || e.audited.has(key)) return false;
    if (deactivatedAt === null) return true;
    if (x.publishedAtMs >= deactivatedAt) return false;
    if (e.matched !== undefined && !e.matched.has(key)) {
      unmatchedBeforeDeactivation++;
      return false;
    }
    return true;
  });
  return {
    subscriptionId: e.subscriptionId,
    expected: e.expected.length,
    delivered: delivered.size,
    audited: e.audited.size,
    repeats,
    missing,
    idChanges,
    orderBreaks: orderBreaks(e, first),
    badSignatures: e.received.filter((d) => !d.signatureValid).length,
    unexpected: [...delivered].filter((k) => !expectedKeys.has(k) && !e.uncertain.has(k)),
    unmatchedBeforeDeactivation,
  };
}

export function verdictClean(v: SubscriptionVerdict): boolean {
  return v.missing.length === 0 && v.idChanges.length === 0 && v.orderBreaks.length === 0 && v.badSignatures === 0 && v.unexpected.length === 0;
}

/** `veh_1 3-7,9; veh_2 1-2`: keys grouped by vehicle, consecutive seqs as ranges. */
export function summariseItems(items: readonly { vehicleId: string; seq: number }[], maxVehicles = 12): string {
  const byVehicle = new Map<string, number[]>();
  for (const i of items) {
    const list = byVehicle.get(i.vehicleId);
    if (list === undefined) byVehicle.set(i.vehicleId, [i.seq]);
    else list.push(i.seq);
  }
  const parts: string[] = [];
  for (const [vehicle, seqs] of [...byVehicle].sort(([a], [b]) => a.localeCompare(b)).slice(0, maxVehicles)) {
    const sorted = [...new Set(seqs)].sort((a, b) => a - b);
    const ranges: string[] = [];
    let start = sorted[0] as number;
    let prev = start;
    for (const s of [...sorted.slice(1), Number.NaN]) {
      if (s === prev + 1) {
        prev = s;
        continue;
      }
      ranges.push(start === prev ? String(start) : `${start}-${prev}`);
      start = s;
      prev = s;
    }
    parts.push(`${vehicle} ${ranges.join(',')}`);
  }
  if (byVehicle.size > maxVehicles) parts.push(`… ${byVehicle.size - maxVehicles} more vehicles`);
  return parts.join('; ');
}
