import { createHash } from 'node:crypto';
import { endpointHeaders } from '../shared/subscriptions/endpoint-headers.js';
import type { Subscription } from '../shared/subscriptions/subscription-types.js';
import type { ClosedBatch, PendingItem } from './batch-accumulator.js';

export const payloadVersion = 1;

export interface WebhookRequest {
  readonly webhookId: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The message id, derived from the subscription and where the batch's first item sits
 * in `webhook.deliveries`. A request repeated after a crash or rebalance starts at the
 * same item and so carries the same `webhook-id`: endpoints deduplicate on it.
 */
export function webhookIdFor(subscriptionId: string, batch: ClosedBatch): string {
  const first = batch.items[0];
  const position = first === undefined ? 'empty' : `${first.partition}:${first.offset}`;
  const digest = createHash('sha256').update(`${subscriptionId}/${position}`).digest('base64url').slice(0, 24);
  return `msg_${digest}`;
}

/**
 * The body of DESIGN.md §5: a head (message id, type, mode, account and subscription ids,
 * creation time, retry count, queue depth, payload version) and `data`, the items in
 * order. JSON subscriptions get it as one JSON object. Form-encoded subscriptions
 * (`application/x-www-form-urlencoded`) get every head field as a form field with its
 * value as text, and `data` as one field holding the JSON array of items — the same
 * encoding as the test event, parseable with any standard form parser.
 */
export function buildWebhookBody(
  sub: Subscription,
  batch: ClosedBatch,
  meta: { webhookId: string; createdAt: Date; retryCount: number; queueDepth: number },
): string {
  const head = {
    id: meta.webhookId,
    type: batch.kind,
    version: payloadVersion,
    mode: 'live',
    accountId: sub.accountId,
    subscriptionId: sub.id,
    createdAt: meta.createdAt.toISOString(),
    retryCount: meta.retryCount,
    queueDepth: meta.queueDepth,
  };
  // The items are JSON text already (see delivery-item.ts): spliced in, not re-encoded.
  let data = '[';
  for (let i = 0; i < batch.items.length; i++) data += (i === 0 ? '' : ',') + (batch.items[i] as PendingItem).item.dataJson;
  data += ']';
  if (sub.contentType === 'application/json') return `${JSON.stringify(head).slice(0, -1)},"data":${data}}`;
  const form = new URLSearchParams(Object.entries(head).map(([k, v]) => [k, String(v)]));
  form.set('data', data);
  return form.toString();
}

/** Body and every header of one attempt, signed with the subscription's live secrets. */
export function buildWebhookRequest(
  sub: Subscription,
  batch: ClosedBatch,
  meta: { webhookId: string; createdAt: Date; retryCount: number; queueDepth: number; now: Date },
): WebhookRequest {
  const body = buildWebhookBody(sub, batch, meta);
  const headers = endpointHeaders(sub, { webhookId: meta.webhookId, body, contentType: sub.contentType, now: meta.now });
  return { webhookId: meta.webhookId, headers, body };
}
