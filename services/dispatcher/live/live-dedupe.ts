import type { Logger } from '../../shared/logger.js';
import type { DeliveredMarks } from './delivered-marks.js';
import type { DeliveryItem, ItemOrigin } from '../delivery-item.js';
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
  /**
   * Highest telemetry offset taken, per stream and origin partition (decimal text, compared exactly): a short list
   * per stream (one entry per origin partition, most streams have one), so no key string is built per item.
   */
  private readonly originSeen = new Map<string, OriginSeen[]>();

  constructor(private readonly marks: DeliveredMarks, private readonly logger: Logger) {}

  /** Loads the marks of streams not seen yet, in one round trip. `streams`: items' `streamKeyOf`, repeats allowed. */
  async load(streams: Iterable<string>): Promise<void> {
    const missing = new Set<string>();
    for (const stream of streams) if (!this.delivered.has(stream)) missing.add(stream);
    if (missing.size === 0) return;
    for (const [stream, mark] of await this.marks.load([...missing])) {
      this.delivered.set(stream, mark.offset);
      // Later copies of the last delivered item (and of anything before it from that origin) are repeats.
      for (const o of mark.origins) this.see(stream, o);
    }
  }

  /** At or below the stream's dedupe mark. `stream`: the item's `streamKeyOf`, computed once by the caller. */
  isDelivered(stream: string, offset: number): boolean {
    return offset <= (this.delivered.get(stream) ?? -1);
  }

  /** Per batch stream: its items leave in order, so everything of one origin partition up to a taken item was taken. */
  isRepeat(stream: string, item: DeliveryItem): boolean {
    const seen = this.seen(stream, item.origin);
    const repeat = seen !== undefined && compareOffsets(item.origin.offset, seen.offset) <= 0;
    if (repeat) this.logger.debug('skipping a repeated item (telemetry re-processed)', { subscriptionId: item.subscriptionId, origin: item.origin });
    return repeat;
  }

  took(stream: string, item: DeliveryItem): void {
    this.see(stream, item.origin);
  }

  private seen(stream: string, origin: ItemOrigin): OriginSeen | undefined {
    const list = this.originSeen.get(stream);
    if (list === undefined) return undefined;
    for (const o of list) if (o.partition === origin.partition && o.topic === origin.topic) return o;
    return undefined;
  }

  private see(stream: string, origin: ItemOrigin): void {
    const seen = this.seen(stream, origin);
    if (seen !== undefined) {
      if (compareOffsets(seen.offset, origin.offset) < 0) seen.offset = origin.offset;
      return;
    }
    const entry = { topic: origin.topic, partition: origin.partition, offset: origin.offset };
    const list = this.originSeen.get(stream);
    if (list === undefined) this.originSeen.set(stream, [entry]);
    else list.push(entry);
  }
}

interface OriginSeen {
  readonly topic: string;
  readonly partition: number;
  offset: string;
}
