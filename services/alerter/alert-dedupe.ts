import type { Redis } from 'ioredis';

export type ClaimOutcome =
  /** This instance may send now, and must `markSent` or `release` afterwards. */
  | { readonly kind: 'claimed' }
  /** Sent (or definitively rejected) before: skip. */
  | { readonly kind: 'done' }
  /** Another instance holds a live claim: try again later. */
  | { readonly kind: 'busy' };

/**
 * Exactly-once bookkeeping of alert e-mails across instances, one Redis key per
 * (alert, recipient): `SET NX PX claimTtl` claims it, a successful send overwrites it with
 * `sent` for `sentMarkTtl` (the failures topic's retention), a failed send deletes the claim.
 * "sent" is written only after the SMTP server accepted the message, so a crash or a wiped
 * Redis can repeat an e-mail but never lose one; the claim's expiry bounds how long a crashed
 * sender blocks the others.
 */
export class AlertDedupe {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly instanceId: string,
    private readonly ttl: { readonly claimTtlMs: number; readonly sentMarkTtlMs: number },
  ) {}

  key(dedupeId: string, recipient: string): string {
    return `${this.keyPrefix}alerter:sent:${dedupeId}:${recipient.toLowerCase()}`;
  }

  async claim(dedupeId: string, recipient: string): Promise<ClaimOutcome> {
    const key = this.key(dedupeId, recipient);
    const ok = await this.redis.set(key, `claim:${this.instanceId}`, 'PX', this.ttl.claimTtlMs, 'NX');
    if (ok === 'OK') return { kind: 'claimed' };
    const value = await this.redis.get(key);
    if (value === null) return this.claim(dedupeId, recipient); // expired in between
    if (value === `claim:${this.instanceId}`) return { kind: 'claimed' }; // our own claim from an aborted attempt
    return value.startsWith('claim:') ? { kind: 'busy' } : { kind: 'done' };
  }

  /** `outcome` is `sent` or `rejected:<code>` (definitively decided, never retried). */
  async markDone(dedupeId: string, recipient: string, outcome: string): Promise<void> {
    await this.redis.set(this.key(dedupeId, recipient), outcome, 'PX', this.ttl.sentMarkTtlMs);
  }

  async release(dedupeId: string, recipient: string): Promise<void> {
    const key = this.key(dedupeId, recipient);
    // Only our own claim: compare-and-delete in one step.
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
      1,
      key,
      `claim:${this.instanceId}`,
    );
  }
}
