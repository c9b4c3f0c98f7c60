import type { SecretBox } from '../secret-box.js';
import { mapSecrets } from './map-secrets.js';
import type { SealedSecret, StoredSubscription, Subscription } from './subscription-types.js';

/** Encrypts every secret of a subscription, bound to its id and field path. */
export function sealSubscription(box: SecretBox, sub: Subscription): StoredSubscription {
  return mapSecrets(sub, (secret, field) => box.seal(secret, `${sub.id}/${field}`));
}

export function openSubscription(box: SecretBox, stored: StoredSubscription): Subscription {
  return mapSecrets(stored, (sealed: SealedSecret, field) => box.open(sealed, `${stored.id}/${field}`));
}
