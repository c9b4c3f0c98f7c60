import { defaultMaxBatchBytes, streamKeyOf } from '../deliver/batch-accumulator.js';
import type { ClosedBatch, PendingItem } from '../deliver/batch-accumulator.js';

/**
 * Drain batches queued and not started yet, per stream (`streamKeyOf`: a GPS vehicle of a
 * subscription, or a whole subscription), in order. A drain request is made up when its
 * task starts: it takes the later waiting batches of its stream too, up to `maxItems` and
 * the request byte cap. A backlog read in small pieces (while live items keep arriving
 * behind it) so still drains in full requests, not one request per piece. Pure.
 */
export class DrainQueue {
  private readonly waiting = new Map<string, ClosedBatch[]>();

  constructor(private readonly maxBytes: number = defaultMaxBatchBytes) {}

  get size(): number {
    let n = 0;
    for (const queue of this.waiting.values()) n += queue.length;
    return n;
  }

  /** Batches of the subscription's streams waiting. */
  sizeOf(subscriptionId: string): number {
    let n = 0;
    for (const [key, queue] of this.waiting) if (key === subscriptionId || key.startsWith(`${subscriptionId}/`)) n += queue.length;
    return n;
  }

  push(batch: ClosedBatch): void {
    const key = streamOf(batch);
    const queue = this.waiting.get(key);
    if (queue === undefined) this.waiting.set(key, [batch]);
    else queue.push(batch);
  }

  /**
   * `batch` as its task starts, followed by the next waiting batches of its stream that
   * fit (whole batches, in order) when `maxItems` is given; null when an earlier request
   * took it already.
   */
  take(batch: ClosedBatch, maxItems: number | null): ClosedBatch | null {
    const key = streamOf(batch);
    const queue = this.waiting.get(key) ?? [];
    const at = queue.indexOf(batch);
    if (at < 0) return null;
    queue.splice(at, 1);
    const items = [...batch.items];
    let bytes = valueBytes(items);
    // An earlier owner's request goes exactly as it was: it neither takes others nor is taken.
    // A scheduled part is one request under its own webhook-id: never merged.
    const merge = maxItems !== null && batch.exact !== true && batch.kind !== 'scheduled';
    for (let next = queue[0]; merge && next !== undefined && next.exact !== true && items.length + next.items.length <= maxItems; next = queue[0]) {
      const nextBytes = valueBytes(next.items);
      if (bytes + nextBytes > this.maxBytes) break;
      items.push(...next.items);
      bytes += nextBytes;
      queue.shift();
    }
    if (queue.length === 0) this.waiting.delete(key);
    return items.length === batch.items.length ? batch : { ...batch, items };
  }
}

/** The stream of a batch's items (a batch's items all share it). */
function streamOf(batch: ClosedBatch): string {
  const first = batch.items[0];
  return first === undefined ? batch.subscriptionId : streamKeyOf(first.item);
}

function valueBytes(items: readonly PendingItem[]): number {
  return items.reduce((n, p) => n + (p.value?.length ?? 0), 0);
}
