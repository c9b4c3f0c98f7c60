import { createHash } from 'node:crypto';
import { endpointHeaders } from '../shared/subscriptions/endpoint-headers.js';
import type { Subscription } from '../shared/subscriptions/subscription-types.js';
import type { ClosedBatch, PendingItem } from './batch-accumulator.js';
import type { ItemKind } from './delivery-item.js';

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

/** What the body's head says beside the items; `now` is the attempt's `requestTime`. */
export interface RequestMeta {
  readonly webhookId: string;
  readonly createdAt: Date;
  readonly enqueueTime: Date;
  readonly retryCount: number;
  readonly queueDepth: number;
  readonly now: Date;
}

/** The head's `eventName`: what produced the items (`scheduled` is kept for scheduled webhooks, which do not exist yet). */
export type EventName = 'eventBased' | 'gps' | 'dtc';

export function eventNameOf(kind: ItemKind): EventName {
  return kind === 'event' ? 'eventBased' : kind;
}

/**
 * The body of DESIGN.md §5: a head (message id, type, event name, payload version, mode,
 * account and subscription ids, creation time, enqueue time — when the batch opened —,
 * request time — when this attempt was sent —, retry count, queue depth) and `data`, the
 * items in order. Every attempt of a request rebuilds the body: `data`, the id and the
 * times of the batch stay, `requestTime`, `retryCount` and `queueDepth` are the attempt's,
 * and the signature covers the attempt's body. JSON subscriptions get it as one JSON
 * object. Form-encoded subscriptions (`application/x-www-form-urlencoded`) get every head
 * field as a form field with its value as text, and `data` as one field holding the JSON
 * array of items. `dataJson` is the items' JSON array text; the test event passes its
 * sample item here, so it cannot drift from the live format.
 */
export function buildBody(
  sub: Subscription,
  kind: ItemKind,
  dataJson: string,
  meta: Omit<RequestMeta, 'now'> & { readonly mode: 'live' | 'test'; readonly requestTime: Date },
): string {
  const head = {
    id: meta.webhookId,
    type: kind,
    eventName: eventNameOf(kind),
    version: payloadVersion,
    mode: meta.mode,
    accountId: sub.accountId,
    subscriptionId: sub.id,
    createdAt: meta.createdAt.toISOString(),
    enqueueTime: meta.enqueueTime.toISOString(),
    requestTime: meta.requestTime.toISOString(),
    retryCount: meta.retryCount,
    queueDepth: meta.queueDepth,
  };
  if (sub.contentType === 'application/json') return `${JSON.stringify(head).slice(0, -1)},"data":${dataJson}}`;
  const form = new URLSearchParams(Object.entries(head).map(([k, v]) => [k, String(v)]));
  form.set('data', dataJson);
  return form.toString();
}

/** The live body of a batch: its items spliced in as JSON text (see delivery-item.ts), never re-encoded. */
export function buildWebhookBody(sub: Subscription, batch: ClosedBatch, meta: RequestMeta): string {
  let data = '[';
  for (let i = 0; i < batch.items.length; i++) data += (i === 0 ? '' : ',') + (batch.items[i] as PendingItem).item.dataJson;
  data += ']';
  return buildBody(sub, batch.kind, data, { ...meta, mode: 'live', requestTime: meta.now });
}

/** Body and every header of one attempt, signed with the subscription's live secrets. */
export function buildWebhookRequest(sub: Subscription, batch: ClosedBatch, meta: RequestMeta): WebhookRequest {
  const body = buildWebhookBody(sub, batch, meta);
  const headers = endpointHeaders(sub, { webhookId: meta.webhookId, body, contentType: sub.contentType, now: meta.now });
  return { webhookId: meta.webhookId, headers, body };
}
