import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Principal } from './authenticate.js';

export const feedTokenTtlMs = 60_000;

export type FeedTokenCheck = { readonly kind: 'valid'; readonly principal: Principal } | { readonly kind: 'invalid' };

/**
 * Short-lived tokens that open one subscription's live feed. `EventSource` cannot send an
 * Authorization header, and an API key must never sit in a URL (it lands in access logs),
 * so an authenticated POST hands out a token naming the subscription, the caller and an
 * expiry, signed with HMAC-SHA256. The key is derived from the secret-encryption key, so
 * every instance accepts every instance's tokens. A token is worth one subscription's
 * feed for `feedTokenTtlMs`, nothing else.
 */
export class FeedTokens {
  private readonly key: Buffer;

  constructor(secretKey: Buffer, private readonly ttlMs = feedTokenTtlMs) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'fleethook feed token v1', 32));
  }

  issue(principal: Principal, subscriptionId: string, now: Date): { token: string; expiresAt: string } {
    const expiresMs = now.getTime() + this.ttlMs;
    const who = principal.kind === 'operator' ? '*' : principal.accountId;
    const payload = Buffer.from(JSON.stringify([subscriptionId, who, expiresMs]), 'utf8').toString('base64url');
    return { token: `${payload}.${this.sign(payload)}`, expiresAt: new Date(expiresMs).toISOString() };
  }

  check(token: string, subscriptionId: string, now: Date): FeedTokenCheck {
    const [payload, mac, extra] = token.split('.');
    if (payload === undefined || mac === undefined || extra !== undefined || !/^[A-Za-z0-9_-]{1,400}$/.test(payload)) return { kind: 'invalid' };
    const expected = Buffer.from(this.sign(payload), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'invalid' };
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { kind: 'invalid' };
    }
    if (!Array.isArray(fields) || fields.length !== 3) return { kind: 'invalid' };
    const [sub, who, expiresMs] = fields as unknown[];
    if (sub !== subscriptionId || typeof who !== 'string' || typeof expiresMs !== 'number' || expiresMs <= now.getTime()) return { kind: 'invalid' };
    return { kind: 'valid', principal: who === '*' ? { kind: 'operator' } : { kind: 'account', accountId: who } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
