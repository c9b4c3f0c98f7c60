import { Webhook } from 'standardwebhooks';
import type { RecordedRequest } from './webhook-receiver.js';

/** One item of a delivered batch, as far as the invariant checks read it. */
export interface DeliveredItem {
  readonly vehicleId: string;
  readonly seq: number;
  /** The record time (epoch ms) the item carries, for record → receipt latency. */
  readonly recordTimeMs: number;
}

/** A request as an endpoint saw it: head fields, items, and whether its signature verified. */
export interface ParsedDelivery {
  readonly webhookId: string;
  readonly subscriptionId: string;
  readonly type: string;
  readonly items: readonly DeliveredItem[];
  readonly receivedAt: number;
  readonly signatureValid: boolean;
}

export type ParseResult = { readonly kind: 'ok'; readonly delivery: ParsedDelivery } | { readonly kind: 'invalid'; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function decodeItems(data: unknown): DeliveredItem[] | string {
  if (!Array.isArray(data)) return 'data is not an array';
  const items: DeliveredItem[] = [];
  for (const d of data as unknown[]) {
    if (!isObject(d) || typeof d.vehicleId !== 'string' || typeof d.seq !== 'number') return 'an item lacks vehicleId or seq';
    const recordTimeMs = typeof d.time === 'string' ? Date.parse(d.time) : typeof d.time === 'number' ? d.time : Number.NaN;
    items.push({ vehicleId: d.vehicleId, seq: d.seq, recordTimeMs });
  }
  return items;
}

/**
 * Checks `webhook-signature` with the standardwebhooks package: its `sign` gives the
 * signature for this id, timestamp and body, which must be one of those offered. (Its
 * `verify` JSON-parses the body, so it cannot read form-encoded deliveries.)
 */
export function signatureValid(secret: string, headers: Readonly<Record<string, string>>, body: string): boolean {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const offered = (headers['webhook-signature'] ?? '').split(' ');
  if (!id || !Number.isInteger(ts)) return false;
  return offered.includes(new Webhook(secret).sign(id, new Date(ts * 1000), body));
}

/** Reads a JSON or form-encoded delivery (DESIGN.md §5) and verifies its signature with `secret`. */
export function parseDelivery(req: RecordedRequest, secret: string): ParseResult {
  let head: Record<string, unknown>;
  let data: unknown;
  try {
    if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(req.text);
      head = Object.fromEntries(form.entries());
      data = JSON.parse(form.get('data') ?? 'null');
    } else {
      const parsed: unknown = JSON.parse(req.text);
      if (!isObject(parsed)) return { kind: 'invalid', reason: 'body is not a JSON object' };
      head = parsed;
      data = parsed.data;
    }
  } catch {
    return { kind: 'invalid', reason: 'body does not parse' };
  }
  const items = decodeItems(data);
  if (typeof items === 'string') return { kind: 'invalid', reason: items };
  const webhookId = req.headers['webhook-id'] ?? '';
  if (head.id !== webhookId) return { kind: 'invalid', reason: `body id ${String(head.id)} differs from webhook-id ${webhookId}` };
  return {
    kind: 'ok',
    delivery: {
      webhookId, subscriptionId: String(head.subscriptionId), type: String(head.type), items, receivedAt: req.receivedAt,
      signatureValid: signatureValid(secret, req.headers, req.text),
    },
  };
}
