import type { Redis } from 'ioredis';
import { decodeFeedEntry, encodeFeedEntry, feedField, feedKey, feedTtlSeconds, maxFeedEntries } from '../shared/delivery-feed.js';
import type { FeedEntry, NewFeedEntry } from '../shared/delivery-feed.js';
import type { Logger } from '../shared/logger.js';

/** Where the portal's live feed comes from. */
export interface DeliveryFeedSource {
  /**
   * Oldest first: with `afterId` null the most recent entries, else those after it (at
   * most `maxFeedEntries` per call). Empty when nothing is known or Redis cannot answer.
   */
  read(subscriptionId: string, afterId: string | null): Promise<readonly FeedEntry[]>;
}

const streamIdPattern = /^\d{1,20}-\d{1,20}$/;

/**
 * The feed stream in Redis (layout: shared/delivery-feed.ts). Best effort both ways, like
 * the delivery status: a Redis problem is logged, the test event still goes out and the
 * feed shows what it has.
 */
export class RedisDeliveryFeed implements DeliveryFeedSource {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async append(subscriptionId: string, entry: NewFeedEntry): Promise<void> {
    const key = feedKey(this.prefix, subscriptionId);
    try {
      await this.redis.multi().xadd(key, 'MAXLEN', String(maxFeedEntries), '*', feedField, encodeFeedEntry(entry)).expire(key, feedTtlSeconds).exec();
    } catch (err) {
      this.logger.warn('could not record the feed entry', { subscriptionId, err });
    }
  }

  async read(subscriptionId: string, afterId: string | null): Promise<readonly FeedEntry[]> {
    const key = feedKey(this.prefix, subscriptionId);
    try {
      const raw = afterId === null || !streamIdPattern.test(afterId)
        ? (await this.redis.xrevrange(key, '+', '-', 'COUNT', maxFeedEntries)).reverse()
        : await this.redis.xrange(key, `(${afterId}`, '+', 'COUNT', maxFeedEntries);
      return raw.map(([id, fields]) => decodeFeedEntry(id, fieldValue(fields))).filter((e): e is FeedEntry => e !== null);
    } catch (err) {
      this.logger.warn('feed unavailable', { subscriptionId, err });
      return [];
    }
  }
}

function fieldValue(fields: readonly string[]): string {
  const at = fields.indexOf(feedField);
  return at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '';
}
