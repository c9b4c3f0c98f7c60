import type { Redis } from 'ioredis';
import { attemptLogKey, deliveryStatusKey, maxLoggedAttempts, statusFields } from '../../shared/delivery-status-keys.js';
import type { LoggedAttempt } from '../../shared/delivery-status-keys.js';
import { encodeFeedEntry, feedField, feedKey, feedTtlSeconds, maxFeedEntries } from '../../shared/delivery-feed.js';
import type { Logger } from '../../shared/logger.js';

/** The request as sent, for the portal's live feed (shared/delivery-feed.ts; the body is capped there). */
export interface SentRequest {
  /** The body as sent (text, or its UTF-8 bytes). */
  readonly body: string | Buffer;
  readonly contentType: string;
  readonly items: number;
}

export type AttemptRecord =
  | { readonly kind: 'delivered'; readonly attempt: LoggedAttempt; readonly items: number; readonly backlogSize: number; readonly sent?: SentRequest }
  | { readonly kind: 'failed'; readonly attempt: LoggedAttempt; readonly nextRetryAt: string | null; readonly backlogSize: number; readonly sent?: SentRequest };

/**
 * Writes per-subscription status where the admin API reads it (see
 * shared/delivery-status-keys.ts). Best effort and never in the delivery path's way:
 * a Redis error is logged and the delivery goes on (status is rebuilt as traffic flows).
 */
export class DeliveryStatusRecorder {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** New items handed to a subscription's requests (first attempt of a batch). */
  messagesQueued(subscriptionId: string, items: number): void {
    // One command is atomic by itself: no MULTI/EXEC round (a third of the status writes' CPU).
    this.redis.hincrby(deliveryStatusKey(this.prefix, subscriptionId), statusFields.totalMessages, items)
      .catch((err: unknown) => this.logger.warn('could not record delivery status', { subscriptionId, err }));
  }

  attempt(subscriptionId: string, record: AttemptRecord): void {
    const statusKey = deliveryStatusKey(this.prefix, subscriptionId);
    const logKey = attemptLogKey(this.prefix, subscriptionId);
    // A pipeline, not MULTI/EXEC: status is best effort, and the transaction added two commands and its own reply per attempt.
    const batch = this.redis.pipeline()
      .lpush(logKey, JSON.stringify(record.attempt))
      .ltrim(logKey, 0, maxLoggedAttempts - 1);
    if (record.sent !== undefined) {
      // The live feed: the last few requests with their (capped) bodies, in the same round trip.
      const feed = feedKey(this.prefix, subscriptionId);
      const { at, webhookId, statusCode, latencyMs, error } = record.attempt;
      batch.xadd(feed, 'MAXLEN', String(maxFeedEntries), '*', feedField, encodeFeedEntry({ at, webhookId, statusCode, latencyMs, error, mode: 'live', ...record.sent }))
        .expire(feed, feedTtlSeconds);
    }
    // One HSET per attempt (all fields of the hash at once).
    if (record.kind === 'delivered') {
      batch.hset(statusKey, statusFields.backlogSize, String(record.backlogSize), statusFields.lastSuccessAt, record.attempt.at)
        .hincrby(statusKey, statusFields.totalDelivered, record.items)
        .hdel(statusKey, statusFields.nextRetryAt);
    } else {
      const retry = record.nextRetryAt === null ? [] : [statusFields.nextRetryAt, record.nextRetryAt];
      batch.hset(statusKey, statusFields.backlogSize, String(record.backlogSize), statusFields.lastFailureAt, record.attempt.at,
        statusFields.lastError, record.attempt.error ?? '', ...retry);
    }
    this.run(subscriptionId, batch);
  }

  /** Parking status of a subscription: null fields are removed (e.g. at recovery), absent ones left as they are. */
  parking(subscriptionId: string, p: { tier?: string | null; nextRetryAt?: string | null; firstFailureAt?: string | null; lastError?: string; backlogSize?: number | null }): void {
    const key = deliveryStatusKey(this.prefix, subscriptionId);
    const batch = this.redis.pipeline();
    const fields: [string, string | null | undefined][] = [
      [statusFields.currentTier, p.tier], [statusFields.nextRetryAt, p.nextRetryAt], [statusFields.firstFailureAt, p.firstFailureAt],
      [statusFields.backlogSize, p.backlogSize === null || p.backlogSize === undefined ? undefined : String(p.backlogSize)], [statusFields.lastError, p.lastError],
    ];
    for (const [field, value] of fields) {
      if (value === null) batch.hdel(key, field);
      else if (value !== undefined) batch.hset(key, field, value);
    }
    this.run(subscriptionId, batch);
  }

  private run(subscriptionId: string, batch: ReturnType<Redis['pipeline']>): void {
    // A pipeline resolves with each command's error in its row: a failed command is logged like a failed round trip.
    batch.exec().then((rows) => {
      const failed = rows?.find(([err]) => err !== null);
      if (failed !== undefined) this.logger.warn('could not record delivery status', { subscriptionId, err: failed[0] });
    }, (err: unknown) => this.logger.warn('could not record delivery status', { subscriptionId, err }));
  }
}
