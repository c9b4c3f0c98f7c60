import type { FieldIssue } from '../errors.js';
import { complete, readJsonRecord } from '../field-reader.js';
import type { FieldReader, JsonRecordRead } from '../field-reader.js';
import type { HeaderValue, OutgoingRecord, RecordHeaders } from '../kafka/kafka-port.js';

/**
 * One record of `webhook.messages` is one attempt of one request: the value is the exact
 * body bytes of that attempt (each attempt is built anew: its `requestTime`, `retryCount`
 * and signature are its own), and the header `fleethook-message` holds what was sent and
 * what came back, as JSON. Key = subscription id, so a subscription's attempts are in order
 * on the partition its deliveries use (same partition count).
 */
export const messageHeader = 'fleethook-message';

/** `dispatch`: the dispatcher's delivery (first try, quick or tier retry, a repeat after a crash); `resend`: the admin API's resend. */
export type AttemptTrigger = 'dispatch' | 'resend';
export type AttemptOutcome = 'delivered' | 'failed';

export interface LoggedMessageAttempt {
  readonly webhookId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly contentType: string;
  readonly itemCount: number;
  /** When the attempt was sent (ISO 8601). */
  readonly at: string;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly outcome: AttemptOutcome;
  readonly retryCount: number;
  readonly trigger: AttemptTrigger;
}

const webhookIdPattern = /^msg_[A-Za-z0-9_-]{1,64}$/;
const idPattern = /^[A-Za-z0-9_.:-]{1,128}$/;
const maxErrorChars = 500;

export function encodeMessageAttempt(attempt: LoggedMessageAttempt, body: Buffer | string): OutgoingRecord {
  const meta = { ...attempt, error: attempt.error === null ? null : attempt.error.slice(0, maxErrorChars) };
  return { key: attempt.subscriptionId, value: body, headers: { [messageHeader]: JSON.stringify(meta) } };
}

/** The attempt a record describes; its value (the body) is left to the caller. */
export function decodeMessageAttempt(headers: RecordHeaders | undefined): JsonRecordRead<LoggedMessageAttempt> {
  const raw = firstHeader(headers?.[messageHeader]);
  if (raw === undefined) return { kind: 'invalid', reason: `no ${messageHeader} header` };
  return readJsonRecord(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'), readAttempt);
}

function readAttempt(r: FieldReader, issues: FieldIssue[]): LoggedMessageAttempt | undefined {
  const fields = complete({
    webhookId: r.string('webhookId', { max: 68, pattern: webhookIdPattern }),
    subscriptionId: r.string('subscriptionId', { max: 128, pattern: idPattern }),
    accountId: r.string('accountId', { max: 128, pattern: idPattern }),
    contentType: r.string('contentType', { max: 200 }),
    itemCount: r.number('itemCount', { integer: true, min: 0 }),
    at: r.string('at', { max: 40 }),
    latencyMs: r.number('latencyMs', { integer: true, min: 0 }),
    outcome: r.oneOf('outcome', ['delivered', 'failed'] as const),
    retryCount: r.number('retryCount', { integer: true, min: 0 }),
    trigger: r.oneOf('trigger', ['dispatch', 'resend'] as const),
  });
  const statusCode = r.number('statusCode', { integer: true, min: 100, max: 999, required: false }) ?? null;
  const error = r.string('error', { max: maxErrorChars, required: false, min: 0 }) ?? null;
  if (fields !== undefined && Number.isNaN(Date.parse(fields.at))) issues.push({ field: 'at', message: 'must be an ISO 8601 time' });
  return fields === undefined ? undefined : { ...fields, statusCode, error };
}

function firstHeader(value: HeaderValue | readonly HeaderValue[] | undefined): HeaderValue | undefined {
  return Array.isArray(value) ? (value as readonly HeaderValue[])[0] : (value as HeaderValue | undefined);
}
