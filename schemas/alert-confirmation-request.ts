import type { FieldIssue } from '../services/shared/errors.js';
import { FieldReader, complete, issuesText } from '../services/shared/field-reader.js';

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
const time = { max: 64, pattern: isoTime, patternHint: 'must be an ISO-8601 UTC time' } as const;
const text = { max: 100_000 } as const;

/** Decodes one record value; never throws. Fields it does not know are ignored. */
export function decodeConfirmationRequest(bytes: Buffer | string | null): DecodedConfirmationRequest {
  if (bytes === null) return { kind: 'invalid', reason: 'empty value' };
  const issues: FieldIssue[] = [];
  // Nothing is quoted in a reason: the record carries a token and an address.
  const r = FieldReader.ofJson(bytes.toString(), issues, { quoteStrings: false });
  if (typeof r === 'string') return { kind: 'invalid', reason: r };
  if (r.raw('schemaVersion') !== 1) return { kind: 'invalid', reason: `schemaVersion: unsupported ${JSON.stringify(r.raw('schemaVersion'))}` };
  const fields = complete({
    requestId: r.string('requestId', text),
    subscriptionId: r.string('subscriptionId', text),
    accountId: r.string('accountId', text),
    subscriptionName: r.string('subscriptionName', text),
    url: r.string('url', text),
    address: r.string('address', text),
    token: r.string('token', text),
    confirmUrl: r.string('confirmUrl', text),
    at: r.string('at', time),
    expiresAt: r.string('expiresAt', time),
  });
  return fields === undefined ? { kind: 'invalid', reason: issuesText(issues) } : { kind: 'ok', request: { schemaVersion: 1, ...fields } };
}
