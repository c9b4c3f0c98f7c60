import { limits } from './subscription-types.js';

export interface UrlPolicy {
  /** Plain http is accepted only when the operator allows it (local development, tests). */
  readonly allowHttp: boolean;
}

export type UrlCheck = { readonly kind: 'ok'; readonly url: URL } | { readonly kind: 'invalid'; readonly message: string };

/**
 * The syntactic part of URL safety; where the host resolves to is checked by the SSRF
 * guard (ssrf-guard.ts), at registration and again on every connection.
 *
 * Credentials in the URL (`https://user:pass@host/`) are rejected: they would be stored
 * and shown unencrypted, and end up in logs and alert e-mails. Basic auth belongs in
 * `auth`, where it is encrypted and masked. Fragments are rejected because they are
 * never sent to the server and usually signal a mistake.
 */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): UrlCheck {
  if (raw.length > limits.maxUrlLength) return invalid(`must have at most ${limits.maxUrlLength} characters`);
  if (!URL.canParse(raw)) return invalid('is not a valid absolute URL');
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return invalid('must use https');
  if (url.protocol === 'http:' && !policy.allowHttp) return invalid('must use https (plain http is not allowed by the operator)');
  if (url.username !== '' || url.password !== '') return invalid('must not contain credentials; use auth.type "basic" instead');
  if (url.hash !== '') return invalid('must not contain a fragment (#…)');
  if (url.hostname === '') return invalid('must have a host');
  return { kind: 'ok', url };
}

function invalid(message: string): UrlCheck {
  return { kind: 'invalid', message };
}
