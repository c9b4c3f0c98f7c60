import { anyCase } from './text-rules.js';
import { maskedQueryValue, secretQueryNames } from './url-query-secrets.js';
import { limits } from './subscription-types.js';
import type { AllowedPorts } from './allowed-ports.js';

export interface UrlPolicy {
  /** Plain http is accepted only when the operator allows it (local development, tests). */
  readonly allowHttp: boolean;
  /** Ports an endpoint may use (an absent port counts as 443 or 80). */
  readonly allowedPorts: AllowedPorts;
}

export type UrlCheck = { readonly kind: 'ok'; readonly url: string } | { readonly kind: 'invalid'; readonly message: string };

const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const pathChars = "A-Za-z0-9._~!$&'()*+,;=:@%/-";
/**
 * The grammar an endpoint URL must follow, as regex source shared with the OpenAPI
 * document: http(s), a DNS-style host (no IP-v6 literal, no credentials), an optional
 * port, ASCII path and query, no fragment. Anything else must be percent-encoded.
 */
export const webhookUrlPattern = `^https?://${label}(?:\\.${label})*(?::[0-9]{1,5})?(?:/[${pathChars}]*)?(?:\\?[?${pathChars}]*)?$`;
const grammar = new RegExp(webhookUrlPattern, 'u');
/** A secret-looking query parameter whose value starts with `****`: a masked value sent back (shared with the OpenAPI document). */
export const maskedUrlSecretPattern = `[?&][^=&]*(?:${secretQueryNames.map(anyCase).join('|')})[^=&]*=\\*{4}`;
const maskedSecret = new RegExp(maskedUrlSecretPattern, 'u');
const unsafeCharacters = /[\s\u0000-\u001F\u007F-\u009F]/u;

/**
 * The syntactic part of URL safety (pure; a 400 when it fails). What the operator allows
 * (http, ports) is `checkUrlPolicy`; where the host resolves is the SSRF guard's, at
 * registration and again on every connection.
 *
 * Credentials in the URL (`https://user:pass@host/`) are rejected: they would be shown
 * wherever the URL is; basic auth belongs in `auth`, where it is sealed and masked.
 * Fragments (even an empty `#`) are rejected: never sent to the server, they signal a
 * mistake. Secret-looking query values (`?token=…`) are accepted and sealed at rest.
 */
export function checkWebhookUrl(raw: string): UrlCheck {
  if ([...raw].length > limits.maxUrlLength) return invalid(`must have at most ${limits.maxUrlLength} characters`);
  const parsed = URL.canParse(raw) ? new URL(raw) : null;
  if (parsed === null && !grammar.test(raw)) return invalid('is not a valid absolute URL');
  if (unsafeCharacters.test(raw)) return invalid('must not contain spaces or control characters (percent-encode them)');
  if (parsed !== null && parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return invalid('must use https');
  if (parsed !== null && (parsed.username !== '' || parsed.password !== '')) return invalid('must not contain credentials; use auth.type "basic" instead');
  if (raw.includes('#')) return invalid('must not contain a fragment (#…)');
  if (!grammar.test(raw)) return invalid('must have the form https://host[:port][/path][?query] in ASCII (percent-encode anything else)');
  if (maskedSecret.test(raw)) {
    return invalid(`carries a masked query value (${maskedQueryValue}) returned by the API; send the real value`);
  }
  return { kind: 'ok', url: raw };
}

export type UrlRefusal = { readonly kind: 'allowed'; readonly url: URL } | { readonly kind: 'refused'; readonly message: string };

/**
 * What the operator allows, for a URL that passed `checkWebhookUrl` (pure; a 422 when it
 * fails, as the URL itself is well formed): plain http, the port, and a host the URL
 * parser accepts (`999.1.1.1` follows the grammar but is no address).
 */
export function checkUrlPolicy(raw: string, policy: UrlPolicy): UrlRefusal {
  if (!URL.canParse(raw)) return { kind: 'refused', message: 'the host is not a valid name or address, or the port is over 65535' };
  const url = new URL(raw);
  if (url.protocol === 'http:' && !policy.allowHttp) return { kind: 'refused', message: 'must use https (plain http is not allowed by the operator)' };
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!policy.allowedPorts.allows(port)) return { kind: 'refused', message: `port ${port} is not allowed (allowed: ${policy.allowedPorts.describe()})` };
  return { kind: 'allowed', url };
}

function invalid(message: string): UrlCheck {
  return { kind: 'invalid', message };
}
