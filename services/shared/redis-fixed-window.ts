import type { Redis } from 'ioredis';

export type WindowDecision =
  /** Counted; `count` is this window's total including this one. */
  | { readonly kind: 'allowed'; readonly count: number }
  /** Not counted: the window is full until `retryAfterMs` from now. */
  | { readonly kind: 'limited'; readonly count: number; readonly retryAfterMs: number };

/**
 * Check-and-count in one step, on Redis's own clock (the key's TTL), so every instance
 * shares one window: the first take of a window sets the key's expiry, takes beyond
 * `limit` are refused without counting. A key left without a TTL is repaired on the spot,
 * so no key outlives its window.
 */
const takeScript = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if n >= limit then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
  return {0, n, ttl}
end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, n, redis.call('PTTL', KEYS[1])}
`;

const giveBackScript = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`;

/** A fixed-window counter per key in Redis, shared by every instance that uses the same key. */
export class RedisFixedWindow {
  constructor(private readonly redis: Redis) {}

  async take(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
    const reply = await this.redis.eval(takeScript, 1, key, String(limit), String(windowMs));
    const [allowed, count, ttl] = Array.isArray(reply) ? reply.map(Number) : [];
    if (allowed === undefined || count === undefined || ttl === undefined || !Number.isFinite(count)) {
      throw new Error(`unexpected reply from the fixed-window script: ${JSON.stringify(reply)}`);
    }
    return allowed === 1 ? { kind: 'allowed', count } : { kind: 'limited', count, retryAfterMs: Math.max(1, ttl) };
  }

  /** Returns one taken slot (a send that did not happen after all). */
  async giveBack(key: string): Promise<void> {
    await this.redis.eval(giveBackScript, 1, key);
  }
}
