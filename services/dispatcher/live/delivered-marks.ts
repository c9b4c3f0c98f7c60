import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger.js';
import { streamKeyOf } from '../deliver/batch-accumulator.js';
import type { ClosedBatch } from '../deliver/batch-accumulator.js';
import type { ItemOrigin } from '../delivery-item.js';
import { compareOffsets } from './offset-order.js';

const markTtlSeconds = 9 * 86_400;
/** Streams whose origins this process keeps to merge into their next mark (a reload from Redis refills it). */
const knownStreamsKept = 100_000;

/**
 * The dispatcher's dedupe keys: per batch stream (a subscription, or a subscription and
 * vehicle for GPS) the offset in `webhook.deliveries` of the last item acknowledged with
 * a 2xx. A stream's requests go out in offset order, so after a crash or rebalance the
 * new owner skips what was already delivered, and what it repeats (only requests that
 * were in flight) starts at the same item and so carries the same webhook-id. Best
 * effort: if Redis was wiped, delivery is still at-least-once, just with more repeats.
 */
export class DeliveredMarks {
  private readonly known = new Map<string, readonly ItemOrigin[]>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Last delivered offset per stream key (-1 when unknown), with the telemetry origin of
   * that item when recorded: a second copy of it, re-keyed again by the match stage after a
   * crash under a new deliveries offset, is then recognised by its origin.
   */
  async load(streamKeys: readonly string[]): Promise<Map<string, DeliveredMark>> {
    const out = new Map<string, DeliveredMark>();
    if (streamKeys.length === 0) return out;
    try {
      const values = await this.redis.mget(...streamKeys.map((k) => this.key(k)));
      streamKeys.forEach((k, i) => {
        const mark = parseMark(values[i]);
        out.set(k, mark);
        if (mark.origins.length > 0) this.remember(k, mergeOrigins(this.known.get(k) ?? [], mark.origins));
      });
    } catch (err) {
      this.logger.warn('dedupe marks unavailable; repeats are possible', { err });
      for (const k of streamKeys) out.set(k, { offset: -1, origins: [] });
    }
    return out;
  }

  /**
   * Records a delivery; never rejects. Callers await it before the stream's next request
   * starts: a mark lost in a crash would let the new owner merge two requests into one
   * with another first item, and so another webhook-id. `origins`: the highest telemetry
   * origin per origin partition among the request's items; they are merged with what this
   * process knows of the stream, so a stream that mixes telemetry partitions (DTC and event
   * subscriptions) keeps one per partition and a re-processed copy from any of them is
   * recognised.
   */
  async mark(streamKey: string, offset: number, origins: readonly ItemOrigin[] = []): Promise<void> {
    const merged = mergeOrigins(this.known.get(streamKey) ?? [], origins);
    this.remember(streamKey, merged);
    const value = [String(offset), ...merged.map((o) => `${o.partition}|${o.offset}|${o.topic}`)].join('|');
    try {
      await this.redis.set(this.key(streamKey), value, 'EX', markTtlSeconds);
    } catch (err) {
      this.logger.warn('could not record a dedupe mark', { streamKey, err });
    }
  }

  private remember(streamKey: string, origins: readonly ItemOrigin[]): void {
    this.known.delete(streamKey);
    this.known.set(streamKey, origins);
    // Insertion order: the stream written longest ago goes first.
    if (this.known.size > knownStreamsKept) for (const k of this.known.keys()) { this.known.delete(k); break; }
  }

  private key(streamKey: string): string {
    return `${this.prefix}delivered:${streamKey}`;
  }
}

export interface DeliveredMark {
  readonly offset: number;
  /** The highest telemetry origin delivered per origin topic and partition. */
  readonly origins: readonly ItemOrigin[];
}

/** `<offset>` then zero or more `|<origin partition>|<origin offset>|<origin topic>` (topic names hold no `|`); anything else is unknown. */
export function parseMark(raw: string | null | undefined): DeliveredMark {
  const unknown = { offset: -1, origins: [] };
  if (typeof raw !== 'string' || !/^\d+(\|\d+\|\d+\|[^|]+)*$/.test(raw)) return unknown;
  const [offset, ...rest] = raw.split('|');
  const origins: ItemOrigin[] = [];
  for (let i = 0; i + 2 < rest.length; i += 3) origins.push({ partition: Number(rest[i]), offset: rest[i + 1] as string, topic: rest[i + 2] as string });
  return { offset: Number(offset), origins };
}

/** The highest origin per topic and partition of both lists, in the order each topic and partition first appears. */
export function mergeOrigins(a: readonly ItemOrigin[], b: readonly ItemOrigin[]): ItemOrigin[] {
  const best: ItemOrigin[] = [];
  // Topic → partition → index in `best`: no key string per origin (this runs for every item delivered).
  const at = new Map<string, Map<number, number>>();
  // The origin looked up last: a request's items mostly come from one telemetry partition, one after another.
  let last: ItemOrigin | undefined;
  let lastIndex = 0;
  const indexOf = (o: ItemOrigin): number | undefined => {
    if (last !== undefined && o.partition === last.partition && o.topic === last.topic) return lastIndex;
    let partitions = at.get(o.topic);
    if (partitions === undefined) at.set(o.topic, (partitions = new Map()));
    const i = partitions.get(o.partition);
    if (i === undefined) partitions.set(o.partition, best.length);
    last = o;
    lastIndex = i ?? best.length;
    return i;
  };
  const take = (o: ItemOrigin): void => {
    const i = indexOf(o);
    if (i === undefined) {
      best.push(o);
    } else if (compareOffsets(o.offset, (best[i] as ItemOrigin).offset) > 0) {
      best[i] = o;
    }
  };
  for (const o of a) take(o);
  for (const o of b) take(o);
  return best;
}

/** The dedupe mark is written before the stream's next request can start. */
export async function markDelivered(marks: DeliveredMarks, batch: ClosedBatch): Promise<void> {
  const last = batch.items[batch.items.length - 1];
  if (last !== undefined) await marks.mark(streamKeyOf(last.item), last.offset, mergeOrigins([], batch.items.map((p) => p.item.origin)));
}
