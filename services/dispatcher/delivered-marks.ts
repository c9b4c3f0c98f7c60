import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import type { ItemOrigin } from './delivery-item.js';

const markTtlSeconds = 9 * 86_400;

/**
 * The dispatcher's dedupe keys: per batch stream (a subscription, or a subscription and
 * vehicle for GPS) the offset in `webhook.deliveries` of the last item acknowledged with
 * a 2xx. A stream's requests go out in offset order, so after a crash or rebalance the
 * new owner skips what was already delivered, and what it repeats (only requests that
 * were in flight) starts at the same item and so carries the same webhook-id. Best
 * effort: if Redis was wiped, delivery is still at-least-once, just with more repeats.
 */
export class DeliveredMarks {
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
      streamKeys.forEach((k, i) => out.set(k, parseMark(values[i])));
    } catch (err) {
      this.logger.warn('dedupe marks unavailable; repeats are possible', { err });
      for (const k of streamKeys) out.set(k, { offset: -1, origin: null });
    }
    return out;
  }

  /**
   * Records a delivery; never rejects. Callers await it before the stream's next request
   * starts: a mark lost in a crash would let the new owner merge two requests into one
   * with another first item, and so another webhook-id.
   */
  async mark(streamKey: string, offset: number, origin?: ItemOrigin): Promise<void> {
    const value = origin === undefined ? String(offset) : `${offset}|${origin.partition}|${origin.offset}|${origin.topic}`;
    try {
      await this.redis.set(this.key(streamKey), value, 'EX', markTtlSeconds);
    } catch (err) {
      this.logger.warn('could not record a dedupe mark', { streamKey, err });
    }
  }

  private key(streamKey: string): string {
    return `${this.prefix}delivered:${streamKey}`;
  }
}

export interface DeliveredMark {
  readonly offset: number;
  readonly origin: ItemOrigin | null;
}

/** `<offset>` or `<offset>|<origin partition>|<origin offset>|<origin topic>`; anything else is unknown. */
export function parseMark(raw: string | null | undefined): DeliveredMark {
  const m = typeof raw === 'string' ? /^(\d+)(?:\|(\d+)\|(\d+)\|(.+))?$/.exec(raw) : null;
  if (m === null) return { offset: -1, origin: null };
  const origin = m[2] !== undefined && m[3] !== undefined && m[4] !== undefined ? { topic: m[4], partition: Number(m[2]), offset: m[3] } : null;
  return { offset: Number(m[1]), origin };
}
