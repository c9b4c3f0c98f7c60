import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): secrets are
 * `whsec_` + base64 key bytes; `webhook-signature` is a space-separated list of
 * `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`. Several signatures are sent
 * while a rotated secret is in its grace period, so receivers on either secret verify.
 */
const secretPrefix = 'whsec_';
export const defaultToleranceSeconds = 300;

export function generateSigningSecret(keyBytes = 32): string {
  return secretPrefix + randomBytes(keyBytes).toString('base64');
}

export function signingKeyBytes(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret, 'base64');
  if (key.length === 0) throw new RangeError('signing secret is empty');
  return key;
}

export function signPayload(secret: string, webhookId: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', signingKeyBytes(secret));
  mac.update(`${webhookId}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** The `webhook-signature` header value: one signature per secret (current first). */
export function signatureHeader(secrets: readonly string[], webhookId: string, timestampSeconds: number, body: string | Buffer): string {
  return secrets.map((s) => signPayload(s, webhookId, timestampSeconds, body)).join(' ');
}

export type SignatureCheck =
  /** `secret` is the one that matched: a receiver holding several answers challenges with it. */
  | { readonly kind: 'valid'; readonly secret: string }
  | { readonly kind: 'invalid'; readonly reason: 'missing_headers' | 'bad_timestamp' | 'timestamp_out_of_tolerance' | 'no_matching_signature' };

export interface SignedHeaders {
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/** Verifies against any of `secrets`; rejects timestamps outside the tolerance (replays). */
export function verifySignature(
  secrets: readonly string[],
  headers: SignedHeaders,
  body: string | Buffer,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): SignatureCheck {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { kind: 'invalid', reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { kind: 'invalid', reason: 'bad_timestamp' };
  const ts = Number(timestamp);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (options.toleranceSeconds ?? defaultToleranceSeconds)) {
    return { kind: 'invalid', reason: 'timestamp_out_of_tolerance' };
  }
  const offered = signature.split(' ').filter((s) => s.startsWith('v1,')).map((s) => Buffer.from(s.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = Buffer.from(signPayload(secret, id, ts, body).slice(3), 'base64');
    if (offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected))) return { kind: 'valid', secret };
  }
  return { kind: 'invalid', reason: 'no_matching_signature' };
}

/** Verification challenge answer: lowercase hex HMAC-SHA256 of the challenge, keyed with the secret's key bytes. */
export function challengeResponse(secret: string, challenge: string): string {
  return createHmac('sha256', signingKeyBytes(secret)).update(challenge, 'utf8').digest('hex');
}
