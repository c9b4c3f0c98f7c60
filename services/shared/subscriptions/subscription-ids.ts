import { randomBytes } from 'node:crypto';

export const subscriptionIdPattern = /^sub_[0-9a-z]{9}[0-9a-f]{16}$/;
export const accountIdPattern = /^acc_[A-Za-z0-9_-]{1,64}$/;

/**
 * `sub_` + milliseconds since epoch (base 36, fixed width) + 64 random bits, so ids sort
 * by creation time, which keeps cursor paging stable.
 */
export function newSubscriptionId(now: Date = new Date()): string {
  return `sub_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

export function isSubscriptionId(value: string): boolean {
  return subscriptionIdPattern.test(value);
}

export function isAccountId(value: string): boolean {
  return accountIdPattern.test(value);
}
