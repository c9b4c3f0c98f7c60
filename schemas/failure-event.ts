import type { FieldIssue } from '../services/shared/errors.js';
import { FieldReader, complete, issuesText } from '../services/shared/field-reader.js';

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
const time = { max: 64, pattern: isoTime, patternHint: 'must be an ISO-8601 UTC time' } as const;
const text = { max: 100_000 } as const;
const count = { integer: true, min: 0 } as const;

/** Decodes one record value of `webhook.failures`; never throws. Fields it does not know are ignored (a newer writer may add some). */
export function decodeFailureEvent(bytes: Buffer | string | null): DecodedFailureEvent {
  if (bytes === null) return { kind: 'invalid', reason: 'empty value' };
  const issues: FieldIssue[] = [];
  // Values are not quoted in the reason: they are e-mail addresses and endpoint URLs.
  const r = FieldReader.ofJson(bytes.toString(), issues, { quoteStrings: false });
  if (typeof r === 'string') return { kind: 'invalid', reason: r };
  if (r.raw('schemaVersion') !== 1) return { kind: 'invalid', reason: `schemaVersion: unsupported ${JSON.stringify(r.raw('schemaVersion'))}` };
  const fields = complete({
    kind: r.oneOf('kind', failureEventKinds),
    eventId: r.string('eventId', text),
    subscriptionId: r.string('subscriptionId', text),
    accountId: r.string('accountId', text),
    subscriptionName: r.string('subscriptionName', text),
    url: r.string('url', text),
    retryPolicy: r.string('retryPolicy', text),
    at: r.string('at', time),
    firstFailureAt: r.nullable('firstFailureAt', (n) => r.string(n, time)),
    nextRetryAt: r.nullable('nextRetryAt', (n) => r.string(n, time)),
    lastError: r.nullable('lastError', (n) => r.string(n, { ...text, min: 0 })),
    lastStatusCode: r.nullable('lastStatusCode', (n) => r.number(n, { integer: true })),
    backlogSize: r.nullable('backlogSize', (n) => r.number(n, { integer: true })),
    retryCount: r.number('retryCount', count),
    alertEmails: r.stringList('alertEmails', { maxItems: 10_000 }),
    discarded: r.nullable('discarded', (n) => r.object(n, (d) => complete({ items: d.number('items', { integer: true }), topic: d.string('topic', text) }))),
  });
  return fields === undefined || issues.length > 0 ? { kind: 'invalid', reason: issuesText(issues) } : { kind: 'ok', event: { schemaVersion: 1, ...fields } };
}
