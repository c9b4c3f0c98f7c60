import type { SecretBox } from '../shared/secret-box.js';
import { mapSecrets } from '../shared/subscriptions/map-secrets.js';
import { maskSecret } from '../shared/subscriptions/mask-secret.js';
import type { StoredSubscription, SubscriptionRecord } from '../shared/subscriptions/subscription-types.js';

/** What the API returns for a subscription: every secret masked, `enabled` derived from state. */
export type SubscriptionView = SubscriptionRecord<string> & { readonly enabled: boolean };

export function toSubscriptionView(stored: StoredSubscription, box: SecretBox): SubscriptionView {
  const masked = mapSecrets(stored, (sealed, field) =>
    // Only signing secrets are opened, to show their last characters; the rest are just "set".
    field.startsWith('signing.') ? maskSecret(field, box.open(sealed, `${stored.id}/${field}`)) : maskSecret(field, ''),
  );
  return { ...masked, enabled: stored.state !== 'paused' && stored.state !== 'deactivated' };
}
