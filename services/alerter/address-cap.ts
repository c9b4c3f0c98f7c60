import type { RedisFixedWindow, WindowDecision } from '../shared/redis-fixed-window.js';
import { normalizeAddress } from '../shared/subscriptions/alert-email-confirmations.js';

/** Alerts and confirmation requests are counted apart: confirmations must not use up an address's alert budget. */
export type CapBucket = 'alert' | 'confirmation';

/**
 * E-mails per recipient address per window, counted in Redis so that every alerter
 * instance shares the count (one key per bucket and address, expiring with its window).
 */
export class AddressCap {
  constructor(
    private readonly window: Pick<RedisFixedWindow, 'take' | 'giveBack'>,
    private readonly keyPrefix: string,
    private readonly limits: { readonly alert: number; readonly confirmation: number; readonly windowMs: number },
  ) {}

  take(bucket: CapBucket, address: string): Promise<WindowDecision> {
    return this.window.take(this.key(bucket, address), this.limits[bucket], this.limits.windowMs);
  }

  /** A taken slot whose e-mail was not sent after all (SMTP failed transiently). */
  giveBack(bucket: CapBucket, address: string): Promise<void> {
    return this.window.giveBack(this.key(bucket, address));
  }

  private key(bucket: CapBucket, address: string): string {
    return `${this.keyPrefix}alerter:cap:${bucket}:${normalizeAddress(address)}`;
  }
}
