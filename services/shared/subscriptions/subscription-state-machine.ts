import type { SubscriptionState } from './subscription-types.js';

/**
 * DESIGN.md §3: `pending_verification` → `active` ⇄ `failing` → `deactivated`; `paused`
 * by the owner. Owner actions come from the admin API, delivery events from the
 * dispatcher; both go through this one table.
 */
export type SubscriptionEvent =
  | { readonly kind: 'verified' }
  | { readonly kind: 'url_changed' }
  | { readonly kind: 'paused' }
  | { readonly kind: 'resumed'; readonly verified: boolean }
  /** Explicit reactivation (admin API); unlike `resumed` it applies to a deactivated subscription only. */
  | { readonly kind: 'reactivated'; readonly verified: boolean }
  | { readonly kind: 'parked' }
  | { readonly kind: 'recovered' }
  | { readonly kind: 'policy_exhausted' }
  | { readonly kind: 'gone' };

export type Transition =
  | { readonly kind: 'moved'; readonly to: SubscriptionState }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'rejected'; readonly reason: string };

export function transition(from: SubscriptionState, event: SubscriptionEvent): Transition {
  switch (event.kind) {
    case 'verified':
      if (from === 'pending_verification') return moved(from, 'active');
      if (from === 'paused' || from === 'deactivated') return rejected(`cannot verify a ${from} subscription; resume it first`);
      return { kind: 'unchanged' };
    case 'url_changed':
      // A new URL is a new endpoint: it must prove it holds the secret again.
      if (from === 'paused' || from === 'deactivated') return { kind: 'unchanged' };
      return moved(from, 'pending_verification');
    case 'paused':
      if (from === 'deactivated') return rejected('cannot pause a deactivated subscription; resume it to reactivate');
      return moved(from, 'paused');
    case 'resumed':
      if (from !== 'paused' && from !== 'deactivated') return { kind: 'unchanged' };
      return moved(from, backToLive(event.verified));
    case 'reactivated':
      if (from !== 'deactivated') return rejected(`the subscription is ${from}; only a deactivated subscription can be reactivated`);
      return moved(from, backToLive(event.verified));
    case 'parked':
      return from === 'active' ? moved(from, 'failing') : { kind: 'unchanged' };
    case 'recovered':
      return from === 'failing' ? moved(from, 'active') : { kind: 'unchanged' };
    case 'policy_exhausted':
    case 'gone':
      if (from === 'active' || from === 'failing') return moved(from, 'deactivated');
      return { kind: 'unchanged' };
  }
}

/** Where resuming or reactivating leads: straight to active only if the current URL is still verified. */
function backToLive(verified: boolean): SubscriptionState {
  return verified ? 'active' : 'pending_verification';
}

function moved(from: SubscriptionState, to: SubscriptionState): Transition {
  return from === to ? { kind: 'unchanged' } : { kind: 'moved', to };
}

function rejected(reason: string): Transition {
  return { kind: 'rejected', reason };
}
