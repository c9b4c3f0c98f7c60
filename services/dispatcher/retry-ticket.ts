import { retryPolicyNames } from '../shared/subscriptions/subscription-types.js';
import type { RetryPolicyName } from '../shared/subscriptions/subscription-types.js';

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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Never throws; anything unexpected is `invalid` with the reason (the record is then audited, not dropped). */
export function decodeRetryTicket(value: Buffer | null): DecodedTicket {
  if (value === null) return { kind: 'invalid', reason: 'null value' };
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'value is not JSON' };
  }
  if (!isObject(raw) || raw.v !== 1) return { kind: 'invalid', reason: 'not a version 1 retry ticket' };
  const problem = ticketProblem(raw);
  return problem === null ? { kind: 'ticket', ticket: raw as unknown as RetryTicket } : { kind: 'invalid', reason: problem };
}

function ticketProblem(t: Record<string, unknown>): string | null {
  for (const name of ['subscriptionId', 'episodeId', 'webhookId', 'lastError'] as const) {
    if (typeof t[name] !== 'string') return `${name} must be a string`;
  }
  if (!isCount(t.retryCount) || !isCount(t.firstFailureAtMs)) return 'retryCount/firstFailureAtMs must be non-negative integers';
  if (!(retryPolicyNames as readonly unknown[]).includes(t.retryPolicy)) return `unknown retryPolicy ${JSON.stringify(t.retryPolicy)}`;
  if (t.lastStatusCode !== null && !Number.isInteger(t.lastStatusCode)) return 'lastStatusCode must be an integer or null';
  if (!Array.isArray(t.items) || t.items.length === 0) return 'items must be a non-empty list';
  for (const item of t.items) {
    if (!isObject(item) || typeof item.value !== 'string' || typeof item.deliveriesOffset !== 'string' || !/^\d+$/.test(item.deliveriesOffset)) {
      return 'every item needs a deliveriesOffset (decimal) and a value (text)';
    }
  }
  return null;
}
