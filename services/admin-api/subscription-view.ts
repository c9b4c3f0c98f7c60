import type { SecretBox } from '../shared/secret-box.js';
import { mapSecrets } from '../shared/subscriptions/map-secrets.js';
import { maskSecret } from '../shared/subscriptions/mask-secret.js';
import type { StoredSubscription, SubscriptionRecord } from '../shared/subscriptions/subscription-types.js';

/**
 * What the API returns for a subscription: every secret masked (secret query values
 * show as `********` inside `url`), `enabled` derived from state.
 */
export type SubscriptionView = Omit<SubscriptionRecord<string>, 'urlSecrets'> & { readonly enabled: boolean };

export function toSubscriptionView(stored: StoredSubscription, box: SecretBox): SubscriptionView {
  const masked = mapSecrets(stored, (sealed, field) =>
    // Only signing secrets are opened, to show their last characters; the rest are just "set".
    field.startsWith('signing.') ? maskSecret(field, openOrEmpty(box, sealed, `${stored.id}/${field}`)) : maskSecret(field, ''),
  );
  const { urlSecrets: _masked, ...view } = masked;
  return { ...view, enabled: stored.state !== 'paused' && stored.state !== 'deactivated' };
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
