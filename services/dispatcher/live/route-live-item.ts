/**
 * Whether a live item read from `webhook.deliveries` is taken for delivery (or, while its
 * subscription is parked, for its backlog), or skipped — pure. Every skipped item is
 * finished at once, so its offset can be committed.
 */
export type LiveItemRoute =
  | { readonly kind: 'take' }
  /** The subscription was deactivated and its episode is over: the item goes to the audit topic, not to a request. */
  | { readonly kind: 'audit' }
  | { readonly kind: 'skip'; readonly reason: LiveSkipReason };

export type LiveSkipReason = 'malformed' | 'in a head or backlog' | 'subscription gone' | 'not deliverable' | 'delivered' | 'repeat';

/** The subscription as the router sees it: deliverable (active or failing), paused, deactivated, another state, or gone. */
export type LiveSubscriptionState = 'deliverable' | 'paused' | 'deactivated' | 'other' | 'gone';

export interface LiveItemFacts {
  readonly malformed: boolean;
  /** A previous owner put this very item in a head or backlog (read again after a crash or rebalance). */
  readonly inParking: boolean;
  readonly subscription: LiveSubscriptionState;
  /** The subscription has an open parking episode here. */
  readonly parked: boolean;
  /** At or below the batch stream's dedupe mark. */
  readonly delivered: boolean;
  /** A second copy of telemetry already taken for this batch stream (the match stage re-processed it). */
  readonly repeat: boolean;
}

export function routeLiveItem(f: LiveItemFacts): LiveItemRoute {
  if (f.malformed) return skip('malformed');
  if (f.inParking) return skip('in a head or backlog');
  if (f.subscription === 'gone') return skip('subscription gone');
  // A parked subscription keeps its items while paused, and while deactivated until its backlog is audited.
  const keeps = f.parked && (f.subscription === 'paused' || f.subscription === 'deactivated');
  // Matched before the deactivation applied, read after its episode ended: undelivered data, so audited like the backlog.
  const audits = f.subscription === 'deactivated' && !f.parked;
  if (f.subscription !== 'deliverable' && !keeps && !audits) return skip('not deliverable');
  if (f.delivered) return skip('delivered');
  if (f.repeat) return skip('repeat');
  return audits ? audit : take;
}

// One value per route (this runs once per item read): routes are data, never changed.
const take: LiveItemRoute = Object.freeze({ kind: 'take' });
const audit: LiveItemRoute = Object.freeze({ kind: 'audit' });
const skips = new Map<LiveSkipReason, LiveItemRoute>();
const skip = (reason: LiveSkipReason): LiveItemRoute => {
  let route = skips.get(reason);
  if (route === undefined) skips.set(reason, (route = Object.freeze({ kind: 'skip', reason })));
  return route;
};
