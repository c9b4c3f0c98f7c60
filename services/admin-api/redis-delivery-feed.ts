import type { Redis } from 'ioredis';
import { decodeFeedEntry, encodeFeedEntry, feedKey, feedTtlSeconds, maxFeedEntries } from '../shared/delivery-feed.js';
import type { FeedEntry, NewFeedEntry } from '../shared/delivery-feed.js';
import type { Logger } from '../shared/logger.js';

/** Where the portal's live feed comes from: reading a subscription's recent requests. */
export interface DeliveryFeedSource {
  /** Newest first; empty when nothing is known or Redis cannot answer. */
  recent(subscriptionId: string): Promise<readonly FeedEntry[]>;
}

/**
 * The feed list in Redis (layout: shared/delivery-feed.ts). Best effort both ways, like
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
      await this.redis.multi().lpush(key, encodeFeedEntry(entry)).ltrim(key, 0, maxFeedEntries - 1).expire(key, feedTtlSeconds).exec();
    } catch (err) {
      this.logger.warn('could not record the feed entry', { subscriptionId, err });
    }
  }

  async recent(subscriptionId: string): Promise<readonly FeedEntry[]> {
    try {
      const raw = await this.redis.lrange(feedKey(this.prefix, subscriptionId), 0, maxFeedEntries - 1);
      return raw.map(decodeFeedEntry).filter((e): e is FeedEntry => e !== null);
    } catch (err) {
      this.logger.warn('feed unavailable', { subscriptionId, err });
      return [];
    }
  }
}
