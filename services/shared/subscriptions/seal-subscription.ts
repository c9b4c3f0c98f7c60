import type { SecretBox } from '../secret-box.js';
import { mapSecrets } from './map-secrets.js';
import { joinUrlSecrets, splitUrlSecrets } from './url-query-secrets.js';
import type { SealedSecret, StoredSubscription, Subscription } from './subscription-types.js';

/**
 * Encrypts every secret of a subscription, bound to its id and field path; secret query
 * values of its URL are taken out of the URL first (shown as `********`) and sealed too.
 */
export function sealSubscription(box: SecretBox, sub: Subscription): StoredSubscription {
  const { url, secrets } = splitUrlSecrets(sub.url);
  const { urlSecrets: _plain, ...rest } = sub;
  return mapSecrets({ ...rest, url, ...(secrets.length > 0 ? { urlSecrets: secrets } : {}) }, (secret, field) => box.seal(secret, `${sub.id}/${field}`));
}

/** The inverse: plaintext secrets, and the real URL (query secrets put back). */
export function openSubscription(box: SecretBox, stored: StoredSubscription): Subscription {
  const opened = mapSecrets(stored, (sealed: SealedSecret, field) => box.open(sealed, `${stored.id}/${field}`));
  const { urlSecrets, ...rest } = opened;
  return { ...rest, url: joinUrlSecrets(opened.url, urlSecrets ?? []) };
}

/** The stored form of a new plaintext URL for subscription `id`: `url` and `urlSecrets` to spread into the record. */
export function sealUrl(box: SecretBox, id: string, plainUrl: string): Pick<StoredSubscription, 'url' | 'urlSecrets'> {
  const { url, secrets } = splitUrlSecrets(plainUrl);
  return { url, urlSecrets: secrets.map((s, i) => box.seal(s, `${id}/url.secrets[${i}]`)) };
}

/** The real URL of a stored subscription. */
export function openUrl(box: SecretBox, stored: StoredSubscription): string {
  return joinUrlSecrets(stored.url, (stored.urlSecrets ?? []).map((s, i) => box.open(s, `${stored.id}/url.secrets[${i}]`)));
}
