import type { Redis } from 'ioredis';
import { attemptLogKey, decodeLoggedAttempt, deliveryStatusKey, statusFields } from '../shared/delivery-status-keys.js';
import type { Logger } from '../shared/logger.js';
import { unknownDeliveryStatus } from './delivery-status-source.js';
import type { DeliveryAttempt, DeliveryStatus, DeliveryStatusSource } from './delivery-status-source.js';

const shownAttempts = 20;
const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads the counters the dispatcher keeps in Redis (layout: shared/delivery-status-keys.ts).
 * A field the dispatcher has not written is null; if Redis cannot be reached every figure
 * is null — the status call still answers, with nothing made up.
 */
export class RedisDeliveryStatusSource implements DeliveryStatusSource {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async read(subscriptionId: string): Promise<DeliveryStatus> {
    try {
      const results = await this.redis.multi()
        .hgetall(deliveryStatusKey(this.prefix, subscriptionId))
        .lrange(attemptLogKey(this.prefix, subscriptionId), 0, shownAttempts - 1)
        .exec();
      const hash = results?.[0]?.[1];
      const log = results?.[1]?.[1];
      return toStatus(isStringRecord(hash) ? hash : {}, Array.isArray(log) ? log.filter((x): x is string => typeof x === 'string') : []);
    } catch (err) {
      this.logger.warn('delivery status unavailable', { subscriptionId, err });
      return unknownDeliveryStatus;
    }
  }

  async attempts(subscriptionId: string, limit: number): Promise<readonly DeliveryAttempt[] | null> {
    try {
      const log = await this.redis.lrange(attemptLogKey(this.prefix, subscriptionId), 0, limit - 1);
      return log.length === 0 ? null : log.map(decodeLoggedAttempt).filter((a): a is DeliveryAttempt => a !== null);
    } catch (err) {
      this.logger.warn('attempt log unavailable', { subscriptionId, err });
      return null;
    }
  }
}

export function toStatus(hash: Readonly<Record<string, string>>, log: readonly string[]): DeliveryStatus {
  const count = (name: string): number | null => {
    const v = hash[name];
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  const text = (name: string): string | null => {
    const v = hash[name];
    return v === undefined || v === '' ? null : v;
  };
  // The dispatcher writes ISO-8601 UTC times; anything else is not a time we can vouch for.
  const time = (name: string): string | null => {
    const v = text(name);
    return v !== null && isoTime.test(v) && !Number.isNaN(Date.parse(v)) ? v : null;
  };
  const attempts = log.map(decodeLoggedAttempt).filter((a): a is DeliveryAttempt => a !== null);
  const known = Object.keys(hash).length > 0 || attempts.length > 0;
  return {
    backlogSize: count(statusFields.backlogSize),
    currentTier: text(statusFields.currentTier),
    firstFailureAt: time(statusFields.firstFailureAt),
    totalMessages: count(statusFields.totalMessages),
    totalDelivered: count(statusFields.totalDelivered),
    lastSuccessAt: time(statusFields.lastSuccessAt),
    lastFailureAt: time(statusFields.lastFailureAt),
    lastError: text(statusFields.lastError),
    nextRetryAt: time(statusFields.nextRetryAt),
    recentAttempts: known ? attempts : null,
  };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');
}
