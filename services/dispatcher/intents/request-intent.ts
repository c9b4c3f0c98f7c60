/**
 * A live request's composition, written to `webhook.intents` (key = subscription id, the
 * owner's partition) before the request is sent: the `webhook.deliveries` offsets of its
 * items, in order. The webhook-id is derived from the first of them, so a new owner that
 * sends exactly these items again sends them under the same webhook-id (pure).
 */
export interface RequestIntent {
  /** Deliveries offsets of the request's items, ascending. */
  readonly offsets: readonly number[];
}

export type DecodedIntent = { readonly kind: 'intent'; readonly intent: RequestIntent } | { readonly kind: 'invalid'; readonly reason: string };

/** `{"v":1,"o":[first, delta, delta, …]}`: a request of 500 adjacent items stays under 2 KB. */
export function encodeRequestIntent(intent: RequestIntent): Buffer {
  const deltas = intent.offsets.map((o, i) => (i === 0 ? o : o - (intent.offsets[i - 1] as number)));
  return Buffer.from(JSON.stringify({ v: 1, o: deltas }), 'utf8');
}

export function decodeRequestIntent(value: Buffer | null): DecodedIntent {
  if (value === null) return { kind: 'invalid', reason: 'no value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { kind: 'invalid', reason: 'not an object' };
  const { v, o } = parsed as { v?: unknown; o?: unknown };
  if (v !== 1) return { kind: 'invalid', reason: `unknown version ${String(v)}` };
  if (!Array.isArray(o) || o.length === 0) return { kind: 'invalid', reason: 'o must be a non-empty array' };
  const offsets: number[] = [];
  for (const [i, d] of o.entries()) {
    if (!Number.isSafeInteger(d) || (d as number) < (i === 0 ? 0 : 1)) return { kind: 'invalid', reason: `o[${i}] must be ${i === 0 ? 'an offset >= 0' : 'a delta >= 1'}` };
    offsets.push(i === 0 ? (d as number) : (offsets[i - 1] as number) + (d as number));
  }
  return { kind: 'intent', intent: { offsets } };
}
