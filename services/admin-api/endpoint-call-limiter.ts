import type { Logger } from '../shared/logger.js';
import type { RedisFixedWindow, WindowDecision } from '../shared/redis-fixed-window.js';

/** The calls that make the admin API send something to an owner's endpoint. */
export type EndpointCall = 'verify' | 'test';

export interface EndpointCallLimits {
  readonly verify: number;
  readonly test: number;
  readonly windowMs: number;
}

/** How a limit check was decided, as counted in `fleethook_admin_rate_limit_checks_total{call,outcome}`. */
export type LimitOutcome = 'allowed' | 'limited' | 'allowed_local' | 'limited_local';

/**
 * Verify and test-event calls per subscription per window, shared by every admin API
 * instance through one Redis counter per (call, subscription). If Redis cannot answer,
 * each instance falls back to a counter of its own (the limit then holds per instance):
 * abuse protection degrades, it does not switch off, and the owner's call still works.
 */
export class EndpointCallLimiter {
  private readonly local = new Map<string, { count: number; resetAtMs: number }>();

  constructor(
    private readonly deps: {
      readonly window: Pick<RedisFixedWindow, 'take'>;
      readonly keyPrefix: string;
      readonly limits: EndpointCallLimits;
      readonly logger: Logger;
      readonly count?: (call: EndpointCall, outcome: LimitOutcome) => void;
      readonly nowMs?: () => number;
    },
  ) {}

  async take(call: EndpointCall, subscriptionId: string): Promise<WindowDecision> {
    const key = `${this.deps.keyPrefix}admin:rate:${call}:${subscriptionId}`;
    const limit = this.deps.limits[call];
    let decision: WindowDecision;
    let local = false;
    try {
      decision = await this.deps.window.take(key, limit, this.deps.limits.windowMs);
    } catch (err) {
      this.deps.logger.warn('rate-limit counter unavailable in Redis; limiting on this instance only', { err, call, subscriptionId });
      decision = this.takeLocal(key, limit);
      local = true;
    }
    const outcome = `${decision.kind}${local ? '_local' : ''}` as LimitOutcome;
    this.deps.count?.(call, outcome);
    return decision;
  }

  private takeLocal(key: string, limit: number): WindowDecision {
    const now = (this.deps.nowMs ?? Date.now)();
    if (this.local.size > 10_000) for (const [k, v] of this.local) if (v.resetAtMs <= now) this.local.delete(k);
    let slot = this.local.get(key);
    if (slot === undefined || slot.resetAtMs <= now) {
      slot = { count: 0, resetAtMs: now + this.deps.limits.windowMs };
      this.local.set(key, slot);
    }
    if (slot.count >= limit) return { kind: 'limited', count: slot.count, retryAfterMs: slot.resetAtMs - now };
    slot.count += 1;
    return { kind: 'allowed', count: slot.count };
  }
}
