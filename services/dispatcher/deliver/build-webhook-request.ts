import { createHash } from 'node:crypto';
import { scheduledWebhookId } from '../../shared/schedule/cadence-slots.js';
import { endpointHeaders } from '../../shared/subscriptions/endpoint-headers.js';
import type { Subscription } from '../../shared/subscriptions/subscription-types.js';
import type { ClosedBatch, PendingItem } from './batch-accumulator.js';
import { buildBody, jsonBodyOpening } from '../../shared/webhook/webhook-body.js';
import { itemDataLength, writeItemData } from '../delivery-item.js';

export { eventNameOf, payloadVersion } from '../../shared/webhook/webhook-body.js';

export interface WebhookRequest {
  readonly webhookId: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /**
   * The body's UTF-8 bytes, encoded once: what is signed, sent and logged. A request held
   * across its send and its log write is then mostly off the JS heap, and undici, the HMAC
   * and the log's producer do not each encode the text again.
   */
  readonly bytes: Buffer;
}

/**
 * The message id, derived from the subscription and where the batch's first item sits
 * in `webhook.deliveries`. A request repeated after a crash or rebalance starts at the
 * same item and so carries the same `webhook-id`: endpoints deduplicate on it. A scheduled
 * part's id comes from its subscription, slot and part alone (`scheduledWebhookId`), so a
 * copy written again by another scheduler instance is named the same.
 */
export function webhookIdFor(subscriptionId: string, batch: ClosedBatch): string {
  const first = batch.items[0];
  if (first?.item.slot !== undefined) return scheduledWebhookId(subscriptionId, first.item.slot.slotMs, first.item.slot.part);
  const position = first === undefined ? 'empty' : `${first.partition}:${first.offset}`;
  const digest = createHash('sha256').update(`${subscriptionId}/${position}`).digest('base64url').slice(0, 24);
  return `msg_${digest}`;
}

/**
 * What the body's head says beside the items; `now` is the attempt's `requestTime`. Every
 * attempt of a request rebuilds the body: `data`, the id, `createdAt` and `enqueueTime` stay,
 * `requestTime`, `retryCount` and `queueDepth` are the attempt's, and the signature covers
 * the attempt's body (see `buildBody` in shared/webhook/webhook-body.ts).
 */
export interface RequestMeta {
  readonly webhookId: string;
  readonly createdAt: Date;
  readonly enqueueTime: Date;
  readonly retryCount: number;
  readonly queueDepth: number;
  readonly now: Date;
}

/** The live body of a batch: its items spliced in as JSON text (see delivery-item.ts), never re-encoded. */
export function buildWebhookBody(sub: Subscription, batch: ClosedBatch, meta: RequestMeta): string {
  let data = '[';
  for (let i = 0; i < batch.items.length; i++) data += (i === 0 ? '' : ',') + (batch.items[i] as PendingItem).item.dataJson;
  data += ']';
  return buildBody(sub, batch.kind, data, { ...meta, mode: modeOf(batch), requestTime: meta.now });
}

/** `simulated` when every item comes from a simulated vehicle (each such item also says `simulated: true`); `live` otherwise. */
export function modeOf(batch: ClosedBatch): 'live' | 'simulated' {
  return batch.items.length > 0 && batch.items.every((p) => p.item.simulated === true) ? 'simulated' : 'live';
}

/**
 * The bytes of `buildWebhookBody`, written into one buffer: a JSON body copies each item's
 * data as it was read (`writeItemData`), without a string of the whole body or of its items.
 * A form-encoded body is the encoded text.
 */
export function buildWebhookBodyBytes(sub: Subscription, batch: ClosedBatch, meta: RequestMeta): Buffer {
  if (sub.contentType !== 'application/json') return Buffer.from(buildWebhookBody(sub, batch, meta), 'utf8');
  const opening = jsonBodyOpening(sub, batch.kind, { ...meta, mode: modeOf(batch), requestTime: meta.now });
  const openingBytes = Buffer.byteLength(opening, 'utf8');
  const n = batch.items.length;
  // `[`, the items and the commas between them, `]}`.
  let size = openingBytes + 1 + Math.max(0, n - 1) + 2;
  for (let i = 0; i < n; i++) size += itemDataLength((batch.items[i] as PendingItem).item);
  const bytes = Buffer.allocUnsafe(size);
  let at = bytes.write(opening, 0, 'utf8');
  bytes[at++] = 0x5b; // [
  for (let i = 0; i < n; i++) {
    if (i > 0) bytes[at++] = 0x2c; // ,
    at += writeItemData((batch.items[i] as PendingItem).item, bytes, at);
  }
  bytes[at++] = 0x5d; // ]
  bytes[at++] = 0x7d; // }
  return bytes;
}

/** Body and every header of one attempt, signed with the subscription's live secrets. */
export function buildWebhookRequest(sub: Subscription, batch: ClosedBatch, meta: RequestMeta): WebhookRequest {
  const bytes = buildWebhookBodyBytes(sub, batch, meta);
  const headers = endpointHeaders(sub, { webhookId: meta.webhookId, body: bytes, contentType: sub.contentType, now: meta.now });
  // The text only when asked (tests, logs): the request travels as its bytes.
  return { webhookId: meta.webhookId, headers, get body() { return bytes.toString('utf8'); }, bytes };
}
