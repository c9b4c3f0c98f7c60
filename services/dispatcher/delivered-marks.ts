import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';

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

  /** Last delivered offset per stream key (-1 when unknown). */
  async load(streamKeys: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (streamKeys.length === 0) return out;
    try {
      const values = await this.redis.mget(...streamKeys.map((k) => this.key(k)));
      streamKeys.forEach((k, i) => {
        const v = values[i];
        out.set(k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : -1);
      });
    } catch (err) {
      this.logger.warn('dedupe marks unavailable; repeats are possible', { err });
      for (const k of streamKeys) out.set(k, -1);
    }
    return out;
  }

  /**
   * Records a delivery; never rejects. Callers await it before the stream's next request
   * starts: a mark lost in a crash would let the new owner merge two requests into one
   * with another first item, and so another webhook-id.
   */
  async mark(streamKey: string, offset: number): Promise<void> {
    try {
      await this.redis.set(this.key(streamKey), String(offset), 'EX', markTtlSeconds);
    } catch (err) {
      this.logger.warn('could not record a dedupe mark', { streamKey, err });
    }
  }

  private key(streamKey: string): string {
    return `${this.prefix}delivered:${streamKey}`;
  }
}
