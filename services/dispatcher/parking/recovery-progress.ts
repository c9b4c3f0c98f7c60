import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger.js';
import { recoveredCountKey, recoveryStatusTtlSeconds } from '../../shared/recovery/recovery-status-keys.js';

/**
 * Counts a recovery's delivered items where the admin API's status reads them (issue 15;
 * layout in shared/recovery/recovery-status-keys.ts). Best effort, like every status
 * figure: a Redis error is logged, the drain goes on. A drain request repeated after a
 * crash counts again; the API caps the figure at the recovery's item count.
 */
export class RecoveryProgress {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** The owner has read the recovery's marker: live items routed from now on go behind its items (the admin API waits for this before it answers). */
  began(recoveryId: string): void {
    this.delivered(recoveryId, 0);
  }

  delivered(recoveryId: string, items: number): void {
    const key = recoveredCountKey(this.prefix, recoveryId);
    this.redis.multi().incrby(key, items).expire(key, recoveryStatusTtlSeconds).exec()
      .catch((err: unknown) => this.logger.warn('could not record recovery progress', { recoveryId, err }));
  }
}
