/**
 * The contract of `webhook.alert-confirmations` (JSON, key = subscriptionId): the admin
 * API asks the alerter to e-mail one newly added alert address its confirmation link.
 * The record carries the token in clear (the e-mail needs it); the subscription record
 * holds only its SHA-256, and the token expires at `expiresAt`. Pure: a type and a decoder.
 */
export interface AlertConfirmationRequest {
  readonly schemaVersion: 1;
  /** Unique per request (`acr_…`); the alerter sends each request once. */
  readonly requestId: string;
  readonly at: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly subscriptionName: string;
  /** The endpoint URL without credentials, so the holder can tell what the alerts are about. */
  readonly url: string;
  /** The one recipient: the address to confirm. */
  readonly address: string;
  /** The secret the holder (or the owner) presents to confirm. */
  readonly token: string;
  /** A page of the admin API that confirms the address with this token. */
  readonly confirmUrl: string;
  readonly expiresAt: string;
}

export type DecodedConfirmationRequest =
  | { readonly kind: 'ok'; readonly request: AlertConfirmationRequest }
  | { readonly kind: 'invalid'; readonly reason: string };

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const stringFields = ['requestId', 'subscriptionId', 'accountId', 'subscriptionName', 'url', 'address', 'token', 'confirmUrl'] as const;

/** Decodes one record value; never throws. */
export function decodeConfirmationRequest(bytes: Buffer | string | null): DecodedConfirmationRequest {
  if (bytes === null) return { kind: 'invalid', reason: 'empty value' };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString());
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'invalid', reason: 'not an object' };
  const v = value as Record<string, unknown>;
  if (v.schemaVersion !== 1) return { kind: 'invalid', reason: `schemaVersion: unsupported ${JSON.stringify(v.schemaVersion)}` };
  for (const name of stringFields) {
    if (typeof v[name] !== 'string' || v[name] === '') return { kind: 'invalid', reason: `${name}: must be a non-empty string` };
  }
  for (const name of ['at', 'expiresAt'] as const) {
    if (typeof v[name] !== 'string' || !isoTime.test(v[name])) return { kind: 'invalid', reason: `${name}: must be an ISO-8601 UTC time` };
  }
  return { kind: 'ok', request: v as unknown as AlertConfirmationRequest };
}
