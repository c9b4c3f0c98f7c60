/**
 * The contract of `webhook.failures` (JSON, key = subscriptionId): what the dispatcher
 * emits at every delivery-state change of a subscription, and everything an alert
 * e-mail needs (DESIGN.md §6–§7), so the alerter never has to look anything up.
 * Pure: a type and a decoder of bytes that arrive as `unknown`.
 */
export const failureEventKinds = [
  /** Quick retries failed; the subscription is parked and its head entered the retry tiers. */
  'parked',
  /** A retry of the head failed again; the subscription stays parked. */
  'still_failing',
  /** The head succeeded; the backlog drains and live delivery resumes. */
  'recovered',
  /** The policy's limit was reached (or 410 Gone); undelivered items went to the audit topic. */
  'deactivated',
  /** `pause-24h` reached its limit; the subscription is paused and keeps its data. */
  'paused',
  /** The endpoint failed the verification challenge. */
  'verification_failed',
] as const;
export type FailureEventKind = (typeof failureEventKinds)[number];

export interface FailureEvent {
  readonly schemaVersion: 1;
  /** Unique per event (`fev_…`); consumers dedupe on it. */
  readonly eventId: string;
  readonly kind: FailureEventKind;
  /** ISO-8601 time the state changed. */
  readonly at: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly subscriptionName: string;
  /** The endpoint URL with any credentials removed. */
  readonly url: string;
  readonly alertEmails: readonly string[];
  readonly retryPolicy: string;
  /** When the current run of failures began; null once recovered and for verification. */
  readonly firstFailureAt: string | null;
  /** A short reason a person can read, e.g. `endpoint answered 503`, `connection refused`. */
  readonly lastError: string | null;
  readonly lastStatusCode: number | null;
  /** Items waiting behind the failed request (queue depth), when known. */
  readonly backlogSize: number | null;
  readonly nextRetryAt: string | null;
  /** Retries of the head so far. */
  readonly retryCount: number;
  /** For `deactivated`: how many items were not delivered, and where they went. */
  readonly discarded: { readonly items: number; readonly topic: string } | null;
}

export type DecodedFailureEvent =
  | { readonly kind: 'ok'; readonly event: FailureEvent }
  | { readonly kind: 'invalid'; readonly reason: string };

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Decodes one record value of `webhook.failures`; never throws. */
export function decodeFailureEvent(bytes: Buffer | string | null): DecodedFailureEvent {
  if (bytes === null) return { kind: 'invalid', reason: 'empty value' };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString());
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'invalid', reason: 'not an object' };
  const v = value as Record<string, unknown>;
  const problem = firstProblem(v);
  return problem === null ? { kind: 'ok', event: v as unknown as FailureEvent } : { kind: 'invalid', reason: problem };
}

function firstProblem(v: Record<string, unknown>): string | null {
  if (v.schemaVersion !== 1) return `schemaVersion: unsupported ${JSON.stringify(v.schemaVersion)}`;
  if (!(failureEventKinds as readonly unknown[]).includes(v.kind)) return `kind: unknown ${JSON.stringify(v.kind)}`;
  for (const name of ['eventId', 'subscriptionId', 'accountId', 'subscriptionName', 'url', 'retryPolicy'] as const) {
    if (typeof v[name] !== 'string' || v[name] === '') return `${name}: must be a non-empty string`;
  }
  if (typeof v.at !== 'string' || !isoTime.test(v.at)) return 'at: must be an ISO-8601 UTC time';
  for (const name of ['firstFailureAt', 'nextRetryAt'] as const) {
    if (v[name] !== null && (typeof v[name] !== 'string' || !isoTime.test(v[name]))) return `${name}: must be an ISO-8601 UTC time or null`;
  }
  if (v.lastError !== null && typeof v.lastError !== 'string') return 'lastError: must be a string or null';
  for (const name of ['lastStatusCode', 'backlogSize'] as const) {
    if (v[name] !== null && !Number.isInteger(v[name])) return `${name}: must be an integer or null`;
  }
  if (!Number.isInteger(v.retryCount) || (v.retryCount as number) < 0) return 'retryCount: must be a non-negative integer';
  if (!Array.isArray(v.alertEmails) || !v.alertEmails.every((e) => typeof e === 'string')) return 'alertEmails: must be a list of strings';
  const d = v.discarded;
  if (d !== null) {
    if (typeof d !== 'object' || d === undefined) return 'discarded: must be an object or null';
    const rec = d as Record<string, unknown>;
    if (!Number.isInteger(rec.items) || typeof rec.topic !== 'string') return 'discarded: must have integer items and a topic';
  }
  return null;
}
