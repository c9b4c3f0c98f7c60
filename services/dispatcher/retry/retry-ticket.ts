import type { FieldIssue } from '../../shared/errors.js';
import { decodeDeliveryItem } from '../delivery-item.js';
import { FieldReader, complete, issuesText } from '../../shared/field-reader.js';
import { retryPolicyNames } from '../../shared/subscriptions/subscription-types.js';
import type { RetryPolicyName } from '../../shared/subscriptions/subscription-types.js';

/**
 * The head of a parked subscription as it travels the retry tiers (issue 5): the failed
 * request's items — each the original `webhook.deliveries` value, untouched, with its
 * offset there — and what the schedule needs to continue on any instance after a crash.
 * Only the head travels the tiers; the due time is a header (`retry-due-header.ts`).
 * Value JSON, key = subscription id. Pure: encode and a total decoder.
 */
export interface TicketItem {
  /** Offset of the item in its `webhook.deliveries` partition (same number as the tier partition). */
  readonly deliveriesOffset: string;
  /** The item's `webhook.deliveries` record value as UTF-8 text. */
  readonly value: string;
}

export interface RetryTicket {
  readonly v: 1;
  readonly subscriptionId: string;
  /** One parking episode (`pke_…`): from parking to recovery or the policy's limit. A ticket of any other episode is stale. */
  readonly episodeId: string;
  /** Retries of the head so far, this ticket's attempt included. */
  readonly retryCount: number;
  readonly firstFailureAtMs: number;
  /** When the request's batch opened (its `enqueueTime`); absent in tickets written before it was kept. */
  readonly enqueuedAtMs?: number;
  readonly retryPolicy: RetryPolicyName;
  /** Stable across every attempt of this request (endpoints deduplicate on it). */
  readonly webhookId: string;
  readonly lastError: string;
  readonly lastStatusCode: number | null;
  readonly items: readonly TicketItem[];
}

export type DecodedTicket = { readonly kind: 'ticket'; readonly ticket: RetryTicket } | { readonly kind: 'invalid'; readonly reason: string };

export function encodeRetryTicket(ticket: RetryTicket): Buffer {
  return Buffer.from(JSON.stringify(ticket), 'utf8');
}

const text = { max: 10_000_000 } as const;
const count = { integer: true, min: 0 } as const;
const decimal = { max: 20, pattern: /^\d+$/, patternHint: 'must be a decimal offset' } as const;

/** Never throws; anything unexpected is `invalid` with the reason (the record is then audited, not dropped). */
export function decodeRetryTicket(value: Buffer | null): DecodedTicket {
  if (value === null) return { kind: 'invalid', reason: 'null value' };
  const issues: FieldIssue[] = [];
  const r = FieldReader.ofJson(value.toString('utf8'), issues);
  if (typeof r === 'string') return { kind: 'invalid', reason: `value is ${r}` };
  if (r.raw('v') !== 1) return { kind: 'invalid', reason: 'not a version 1 retry ticket' };
  const fields = complete({
    subscriptionId: r.string('subscriptionId', text),
    episodeId: r.string('episodeId', text),
    webhookId: r.string('webhookId', text),
    lastError: r.string('lastError', { ...text, min: 0 }),
    retryCount: r.number('retryCount', count),
    firstFailureAtMs: r.number('firstFailureAtMs', count),
    retryPolicy: r.oneOf('retryPolicy', retryPolicyNames),
    lastStatusCode: r.nullable('lastStatusCode', (n) => r.number(n, { integer: true })),
    items: r.objectList('items', { minItems: 1, maxItems: 1_000_000 }, (it) => complete({
      deliveriesOffset: it.string('deliveriesOffset', decimal), value: it.string('value', { ...text, min: 0 }),
    })),
  });
  const enqueuedAtMs = r.number('enqueuedAtMs', { ...count, required: false });
  if (fields === undefined || issues.length > 0) return { kind: 'invalid', reason: issuesText(issues) };
  return { kind: 'ticket', ticket: { v: 1, ...fields, ...(enqueuedAtMs === undefined ? {} : { enqueuedAtMs }) } };
}

/** Whether the head is a scheduled slot's request (its item is kind `scheduled`: a part is always alone in its request). */
export function isScheduledTicket(ticket: RetryTicket): boolean {
  const first = ticket.items[0];
  if (first === undefined) return false;
  const decoded = decodeDeliveryItem(Buffer.from(first.value, 'utf8'));
  return decoded.kind === 'item' && decoded.item.kind === 'scheduled';
}
