import type { SecretBox } from '../shared/secret-box.js';
import { alertAddressViews } from '../shared/subscriptions/alert-email-confirmations.js';
import type { AlertAddressView } from '../shared/subscriptions/alert-email-confirmations.js';
import { mapSecrets } from '../shared/subscriptions/map-secrets.js';
import { maskSecret } from '../shared/subscriptions/mask-secret.js';
import type { StoredSubscription, SubscriptionRecord } from '../shared/subscriptions/subscription-types.js';

/**
 * What the API returns for a subscription: every secret masked (secret query values
 * show as `********` inside `url`), `enabled` derived from state, and each alert address
 * with its confirmation state (never a token hash).
 */
export type SubscriptionView = Omit<SubscriptionRecord<string>, 'urlSecrets' | 'alertEmailConfirmations' | 'liveSince'> & {
  readonly enabled: boolean;
  readonly alertEmailConfirmations: readonly AlertAddressView[];
};

export function toSubscriptionView(stored: StoredSubscription, box: SecretBox, nowMs: number = Date.now()): SubscriptionView {
  const { alertEmailConfirmations: _hashes, ...masked } = mapSecrets(stored, (sealed, field) =>
    // Only signing secrets are opened, to show their last characters; the rest are just "set".
    field.startsWith('signing.') ? maskSecret(field, openOrEmpty(box, sealed, `${stored.id}/${field}`)) : maskSecret(field, ''),
  );
  // liveSince is the scheduler's (where a resumed subscription starts), not part of the API's view.
  const { urlSecrets: _masked, liveSince: _liveSince, ...view } = masked;
  return { ...view, enabled: stored.state !== 'paused' && stored.state !== 'deactivated', alertEmailConfirmations: alertAddressViews(stored, nowMs) };
}

/**
 * A secret sealed with a key this instance no longer has (or tampered with) is shown as
 * merely set: the subscription stays listable, so an operator can see and fix or delete
 * it. Signing and delivery still refuse it where the plaintext is needed.
 */
function openOrEmpty(box: SecretBox, sealed: Parameters<SecretBox['open']>[0], context: string): string {
  try {
    return box.open(sealed, context);
  } catch {
    return '';
  }
}
