/**
 * The one classifier of an HTTP delivery attempt (DESIGN.md §6): a request succeeds on
 * any 2xx; everything else is a failure. 410 Gone ends the subscription at once;
 * Retry-After on 429/503 is honoured, clamped. Pure: takes what happened, returns what
 * to do.
 */
export type AttemptResult =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | undefined }
  | { readonly kind: 'error'; readonly code: string };

export type DeliveryOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'gone'; readonly reason: string };

export const retryAfterBoundsMs = { min: 1_000, max: 6 * 60 * 60 * 1_000 } as const;

/** Socket and client errors, by code, with the phrase an owner reads in an alert. */
const errorReasons: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response body',
  UND_ERR_SOCKET: 'socket error',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_ABORTED: 'request aborted (timeout)',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'response body too large',
  UND_ERR_INFO: 'invalid response',
  HPE_INVALID_CONSTANT: 'malformed HTTP response',
  HPE_INVALID_HEADER_TOKEN: 'malformed HTTP response headers',
  SSRF_BLOCKED: 'address not allowed (private, loopback or metadata range)',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

export function classifyDeliveryResult(result: AttemptResult, now: Date = new Date()): DeliveryOutcome {
  if (result.kind === 'error') {
    return { kind: 'retry', reason: errorReasons[result.code] ?? `request failed (${result.code})` };
  }
  const { status } = result;
  if (status >= 200 && status <= 299) return { kind: 'delivered' };
  if (status === 410) return { kind: 'gone', reason: 'endpoint answered 410 Gone' };
  const reason = `endpoint answered ${status}${statusHint(status)}`;
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfterMs(result.retryAfter, now);
    return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
  }
  return { kind: 'retry', reason };
}

function statusHint(status: number): string {
  if (status >= 300 && status <= 399) return ' (redirects are not followed)';
  if (status === 401 || status === 403) return ' (check the endpoint credentials)';
  if (status < 100 || status > 599) return ' (not a valid HTTP status)';
  return '';
}

/**
 * `Retry-After` is either delay-seconds or an HTTP-date. Returns the delay clamped to
 * `retryAfterBoundsMs`, or undefined when absent or unparsable (the tier delay applies).
 */
export function parseRetryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  let delayMs: number;
  if (/^\d+$/.test(trimmed)) {
    delayMs = Number(trimmed) * 1_000;
  } else {
    // An HTTP-date always names a day or month; V8 would also "parse" "-5" or "1.5".
    if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    delayMs = at - now.getTime();
  }
  return Math.min(retryAfterBoundsMs.max, Math.max(retryAfterBoundsMs.min, delayMs));
}
