import type { RequestBudget } from './request-budget.js';

export interface SlotSplit {
  /** The requests' items (JSON text), in order. */
  readonly parts: readonly (readonly string[])[];
  /** Items (by index) whose request alone would exceed the budget's ceiling: left out. */
  readonly leftOut: readonly { readonly index: number; readonly bytes: number }[];
}

/**
 * Cuts a slot's items (JSON text, in order) into requests (pure): each holds at most
 * `maxItems` items and its body — the head plus the JSON array `[item,item]` as the
 * content type carries it — takes at most `budget.capBytes`; the order is kept across
 * parts. An item whose request alone is over the cap goes alone (a vehicle's state is far
 * below any sane cap; the customer chose a tiny one); one over the ceiling is left out.
 */
export function splitSlotRequests(items: readonly string[], maxItems: number, budget: RequestBudget): SlotSplit {
  const open = budget.headBytes + budget.sizeOf('[]');
  const comma = budget.sizeOf(',');
  const parts: string[][] = [];
  const leftOut: { index: number; bytes: number }[] = [];
  let part: string[] = [];
  let bytes = open;
  const flush = (): void => {
    if (part.length > 0) parts.push(part);
    part = [];
    bytes = open;
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    const size = budget.sizeOf(item);
    if (open + size > budget.ceilingBytes) {
      leftOut.push({ index: i, bytes: open + size });
      continue;
    }
    const added = size + (part.length === 0 ? 0 : comma);
    if (part.length > 0 && (part.length >= maxItems || bytes + added > budget.capBytes)) flush();
    bytes += size + (part.length === 0 ? 0 : comma);
    part.push(item);
    if (bytes > budget.capBytes) flush();
  }
  flush();
  return { parts, leftOut };
}
