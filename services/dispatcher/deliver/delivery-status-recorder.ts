import type { Redis } from 'ioredis';
import { attemptLogKey, deliveryStatusKey, maxLoggedAttempts, statusFields } from '../../shared/delivery-status-keys.js';
import type { LoggedAttempt } from '../../shared/delivery-status-keys.js';
import { encodeFeedEntry, feedField, feedKey, feedTtlSeconds, maxFeedEntries } from '../../shared/delivery-feed.js';
import type { Logger } from '../../shared/logger.js';

type Pipeline = ReturnType<Redis['pipeline']>;

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
  /** The commands of this turn of the event loop, and per command the subscription it is for. */
  private batch: Pipeline | null = null;
  private owners: string[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** New items handed to a subscription's requests (first attempt of a batch). */
  messagesQueued(subscriptionId: string, items: number): void {
    this.commands(subscriptionId, 1).hincrby(deliveryStatusKey(this.prefix, subscriptionId), statusFields.totalMessages, items);
  }

  attempt(subscriptionId: string, record: AttemptRecord): void {
    const statusKey = deliveryStatusKey(this.prefix, subscriptionId);
    const logKey = attemptLogKey(this.prefix, subscriptionId);
    // A pipeline, not MULTI/EXEC: status is best effort, and the transaction added two commands and its own reply per attempt.
    this.commands(subscriptionId, 2)
      .lpush(logKey, JSON.stringify(record.attempt))
      .ltrim(logKey, 0, maxLoggedAttempts - 1);
    if (record.sent !== undefined) {
      // The live feed: the last few requests with their (capped) bodies, in the same round trip.
      const feed = feedKey(this.prefix, subscriptionId);
      const { at, webhookId, statusCode, latencyMs, error } = record.attempt;
      this.commands(subscriptionId, 2).xadd(feed, 'MAXLEN', String(maxFeedEntries), '*', feedField, encodeFeedEntry({ at, webhookId, statusCode, latencyMs, error, mode: 'live', ...record.sent }))
        .expire(feed, feedTtlSeconds);
    }
    // One HSET per attempt (all fields of the hash at once).
    if (record.kind === 'delivered') {
      this.commands(subscriptionId, 3).hset(statusKey, statusFields.backlogSize, String(record.backlogSize), statusFields.lastSuccessAt, record.attempt.at)
        .hincrby(statusKey, statusFields.totalDelivered, record.items)
        .hdel(statusKey, statusFields.nextRetryAt);
    } else {
      const retry = record.nextRetryAt === null ? [] : [statusFields.nextRetryAt, record.nextRetryAt];
      this.commands(subscriptionId, 1).hset(statusKey, statusFields.backlogSize, String(record.backlogSize), statusFields.lastFailureAt, record.attempt.at,
        statusFields.lastError, record.attempt.error ?? '', ...retry);
    }
  }

  /** Parking status of a subscription: null fields are removed (e.g. at recovery), absent ones left as they are. */
  parking(subscriptionId: string, p: { tier?: string | null; nextRetryAt?: string | null; firstFailureAt?: string | null; lastError?: string; backlogSize?: number | null }): void {
    const key = deliveryStatusKey(this.prefix, subscriptionId);
    const fields: [string, string | null | undefined][] = [
      [statusFields.currentTier, p.tier], [statusFields.nextRetryAt, p.nextRetryAt], [statusFields.firstFailureAt, p.firstFailureAt],
      [statusFields.backlogSize, p.backlogSize === null || p.backlogSize === undefined ? undefined : String(p.backlogSize)], [statusFields.lastError, p.lastError],
    ];
    for (const [field, value] of fields) {
      if (value === null) this.commands(subscriptionId, 1).hdel(key, field);
      else if (value !== undefined) this.commands(subscriptionId, 1).hset(key, field, value);
    }
  }

  /**
   * The pipeline of this turn of the event loop, for `count` more commands of a subscription:
   * every status write of a turn goes out in one socket write when the turn ends (a socket write
   * per attempt was ~6 % of the main thread at one item per request, issue 11). In order:
   * one connection, one pipeline after the other.
   */
  private commands(subscriptionId: string, count: number): Pipeline {
    for (let i = 0; i < count; i++) this.owners.push(subscriptionId);
    if (this.batch === null) {
      this.batch = this.redis.pipeline();
      setImmediate(() => this.flush());
    }
    return this.batch;
  }

  private flush(): void {
    const { batch, owners } = this;
    this.batch = null;
    this.owners = [];
    if (batch === null) return;
    // A pipeline resolves with each command's error in its row: a failed command is logged like a failed round trip, once per subscription.
    batch.exec().then((rows) => {
      const logged = new Set<string>();
      rows?.forEach(([err], i) => {
        const subscriptionId = owners[i];
        if (err === null || subscriptionId === undefined || logged.has(subscriptionId)) return;
        logged.add(subscriptionId);
        this.logger.warn('could not record delivery status', { subscriptionId, err });
      });
    }, (err: unknown) => this.logger.warn('could not record delivery status', { subscriptions: new Set(owners).size, err }));
  }
}
