import type { ClosedBatch, PendingItem } from '../deliver/batch-accumulator.js';
import type { ExactRequest } from './parked-record.js';

interface Gathering {
  readonly items: PendingItem[];
  readonly size: number;
  readonly sinceMs: number;
}

/**
 * Gathers the backlog items of earlier owners' requests appended whole (rule 9), so the
 * drain sends each as that very request: same items, so the same webhook-id. A request's
 * items are appended together, in order; one whose items do not all arrive within
 * `waitMs` (an append cut by a crash) goes with what it has, under the same first item.
 * Pure: the caller supplies the clock.
 */
export class ExactRequests {
  private readonly open = new Map<string, Gathering>();

  constructor(private readonly waitMs: number) {}

  /** Adds a backlog item of `request`; returns the request once it is whole. */
  add(entry: PendingItem, request: ExactRequest, nowMs: number): ClosedBatch | null {
    const key = `${entry.item.subscriptionId}/${request.first}`;
    let g = this.open.get(key);
    if (g === undefined) this.open.set(key, (g = { items: [], size: request.items, sinceMs: nowMs }));
    g.items.push(entry);
    if (g.items.length < g.size) return null;
    this.open.delete(key);
    return closed(g);
  }

  /** Requests whose missing items waited `waitMs`: they go as they are. */
  due(nowMs: number): ClosedBatch[] {
    const out: ClosedBatch[] = [];
    for (const [key, g] of this.open) {
      if (nowMs - g.sinceMs < this.waitMs) continue;
      this.open.delete(key);
      out.push(closed(g));
    }
    return out;
  }
}

function closed(g: Gathering): ClosedBatch {
  const first = g.items[0] as PendingItem;
  return { subscriptionId: first.item.subscriptionId, kind: first.item.kind, items: g.items, reason: 'full', exact: true };
}
