import { limits } from '../shared/subscriptions/subscription-types.js';

/** The default cap on a scheduled request's `data` (see `limits.maxScheduledRequestBytes`). */
export const defaultMaxRequestBytes = limits.maxScheduledRequestBytes;

export type SlotSplit =
  | { readonly kind: 'parts'; readonly parts: readonly (readonly string[])[] }
  | { readonly kind: 'item_too_large'; readonly index: number; readonly bytes: number };

/**
 * Cuts a slot's items (JSON text, in order) into requests (pure): each holds at most
 * `maxItems` items and at most `maxBytes` of `data` (the JSON array: items, commas and
 * brackets, in UTF-8 bytes), and the order is kept across parts. An item that alone
 * exceeds the cap is refused (one vehicle's state is far below any sane cap: a bug).
 */
export function splitSlotRequests(items: readonly string[], maxItems: number, maxBytes: number = defaultMaxRequestBytes): SlotSplit {
  const parts: string[][] = [];
  let part: string[] = [];
  let bytes = 2;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    const size = Buffer.byteLength(item, 'utf8');
    if (size + 2 > maxBytes) return { kind: 'item_too_large', index: i, bytes: size };
    const added = size + (part.length === 0 ? 0 : 1);
    if (part.length > 0 && (part.length >= maxItems || bytes + added > maxBytes)) {
      parts.push(part);
      part = [];
      bytes = 2;
    }
    bytes += size + (part.length === 0 ? 0 : 1);
    part.push(item);
  }
  if (part.length > 0) parts.push(part);
  return { kind: 'parts', parts };
}
