import type { Logger } from '../../shared/logger.js';
import { streamKeyOf } from '../deliver/batch-accumulator.js';
import type { DeliveredMarks } from './delivered-marks.js';
import type { DeliveryItem } from '../delivery-item.js';
import { compareOffsets } from './offset-order.js';

/**
 * What one generation knows of items already delivered or taken, per batch stream: the
 * dedupe mark (last delivered deliveries offset, loaded from Redis once per stream), and
 * the highest telemetry origin taken per stream and origin partition. An item whose origin
 * is not newer is a second copy written by a match stage that re-processed telemetry after
 * a crash or a lost group membership.
 */
export class LiveDedupe {
  private readonly delivered = new Map<string, number>();
  /** Highest telemetry offset taken, per stream and origin partition (decimal text, compared exactly). */
  private readonly originSeen = new Map<string, string>();

  constructor(private readonly marks: DeliveredMarks, private readonly logger: Logger) {}

  /** Loads the marks of streams not seen yet, in one round trip. */
  async load(items: readonly (DeliveryItem | null)[]): Promise<void> {
    const missing = new Set<string>();
    for (const item of items) if (item !== null && !this.delivered.has(streamKeyOf(item))) missing.add(streamKeyOf(item));
    for (const [stream, mark] of await this.marks.load([...missing])) {
      this.delivered.set(stream, mark.offset);
      // Later copies of the last delivered item (and of anything before it from that origin) are repeats.
      for (const o of mark.origins) this.see(`${stream}\u0000${o.topic}\u0000${o.partition}`, o.offset);
    }
  }

  /** At or below the stream's dedupe mark. `stream`: the item's `streamKeyOf`, computed once by the caller. */
  isDelivered(stream: string, offset: number): boolean {
    return offset <= (this.delivered.get(stream) ?? -1);
  }

  /** Per batch stream: its items leave in order, so everything of one origin partition up to a taken item was taken. */
  isRepeat(stream: string, item: DeliveryItem): boolean {
    const seen = this.originSeen.get(originKey(stream, item));
    const repeat = seen !== undefined && compareOffsets(item.origin.offset, seen) <= 0;
    if (repeat) this.logger.debug('skipping a repeated item (telemetry re-processed)', { subscriptionId: item.subscriptionId, origin: item.origin });
    return repeat;
  }

  took(stream: string, item: DeliveryItem): void {
    this.see(originKey(stream, item), item.origin.offset);
  }

  private see(key: string, origin: string): void {
    const seen = this.originSeen.get(key);
    if (seen === undefined || compareOffsets(seen, origin) < 0) this.originSeen.set(key, origin);
  }
}

const originKey = (stream: string, item: DeliveryItem): string => `${stream}\u0000${item.origin.topic}\u0000${item.origin.partition}`;
