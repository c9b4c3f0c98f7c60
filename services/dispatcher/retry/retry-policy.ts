import { retryTiers } from '../../../schemas/retry-tiers.js';
import type { RetryPolicyName } from '../../shared/subscriptions/subscription-types.js';

/**
 * The named retry policies of a parked subscription (DESIGN.md §6, issue 5) as data, and
 * the one pure decision "the head failed again: what now?". Durations are real-world
 * defaults multiplied by a time scale from the dispatcher's config, so tests run the
 * whole 7-day schedule in seconds through the same code.
 */

/** A retry-tier topic as a lane: records in it wait about `delayMs` (`topic` is the catalogue id). */
export interface RetryLane {
  readonly name: string;
  readonly delayMs: number;
  readonly topic: string;
}

export type LimitAction = 'deactivate' | 'pause' | 'disable';

export interface RetryPolicy {
  readonly name: RetryPolicyName;
  /** Retry n (0-based) waits `delaysMs[min(n, length - 1)]`: the last delay repeats. */
  readonly delaysMs: readonly number[];
  /** Measured from the first failure; no retry is due after it. */
  readonly limitMs: number;
  /** At most this many retries of the head (null: only the time limit). */
  readonly maxRetries: number | null;
  readonly onLimit: LimitAction;
  /**
   * Scheduled slots only (issue 13: "a slot not delivered within 15 minutes is retried on
   * the following 15-minute slots"): once the retries above are spent, a scheduled head is
   * tried again on each following `stepMs` boundary of the clock (:00, :15, :30, :45) up to
   * `forMs` after its first failure; the limit applies when the last of them fails.
   */
  readonly missedSlots?: { readonly stepMs: number; readonly forMs: number };
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly lane: RetryLane; readonly dueAtMs: number; readonly retryCount: number }
  | { readonly kind: 'deactivate' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'disable' };

export interface FailedHead {
  /** When the current run of failures began (the first failed attempt). */
  readonly firstFailureAtMs: number;
  /** Retries of the head through the tiers so far (0 when it has just been parked). */
  readonly retryCount: number;
  readonly nowMs: number;
  /** The endpoint's Retry-After, already clamped by the classifier. */
  readonly retryAfterMs?: number | undefined;
  /** The head is a scheduled slot's request (the policy's `missedSlots` apply to it). */
  readonly scheduled?: boolean;
}

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

/** The policies at real-world timings (time scale 1). */
export const realTimeRetryPolicies: Readonly<Record<RetryPolicyName, RetryPolicy>> = {
  'standard-7d': {
    name: 'standard-7d',
    delaysMs: retryTiers.map((t) => t.delayMs),
    limitMs: 7 * dayMs,
    maxRetries: null,
    onLimit: 'deactivate',
  },
  'pause-24h': {
    name: 'pause-24h',
    delaysMs: [5 * minuteMs, 15 * minuteMs, 35 * minuteMs, hourMs],
    limitMs: dayMs,
    maxRetries: null,
    onLimit: 'pause',
  },
  'disable-10m': {
    name: 'disable-10m',
    delaysMs: [2 * minuteMs],
    limitMs: 10 * minuteMs,
    maxRetries: 5,
    onLimit: 'disable',
    // Smartcar's rule for every request, then a scheduled slot gets the quarter hours of the hour after its first failure.
    missedSlots: { stepMs: 15 * minuteMs, forMs: hourMs },
  },
};

const scaled = (ms: number, scale: number): number => Math.max(1, Math.round(ms * scale));

/** Every policy and every lane with its durations multiplied by `timeScale` (1 = real time). */
export function retrySchedule(timeScale: number): { readonly policies: Readonly<Record<RetryPolicyName, RetryPolicy>>; readonly lanes: readonly RetryLane[] } {
  const scale = (p: RetryPolicy): RetryPolicy => ({
    ...p, delaysMs: p.delaysMs.map((d) => scaled(d, timeScale)), limitMs: scaled(p.limitMs, timeScale),
    ...(p.missedSlots === undefined ? {} : { missedSlots: { stepMs: scaled(p.missedSlots.stepMs, timeScale), forMs: scaled(p.missedSlots.forMs, timeScale) } }),
  });
  const real = realTimeRetryPolicies;
  const policies = { 'standard-7d': scale(real['standard-7d']), 'pause-24h': scale(real['pause-24h']), 'disable-10m': scale(real['disable-10m']) };
  const lanes = retryTiers.map((t) => ({ name: t.name, topic: t.topic, delayMs: scaled(t.delayMs, timeScale) }));
  return { policies, lanes };
}

/**
 * The lane for a wait: the longest lane not longer than it (the shortest lane for shorter
 * waits). Records in a lane are handed over in order, so a record whose own wait is longer
 * than its lane's may hold later ones back a little — they are late, never early.
 */
export function laneFor(waitMs: number, lanes: readonly RetryLane[]): RetryLane {
  const first = lanes[0];
  if (first === undefined) throw new Error('no retry lanes configured');
  let chosen = first;
  for (const lane of lanes) if (lane.delayMs <= waitMs && lane.delayMs >= chosen.delayMs) chosen = lane;
  return chosen;
}

/**
 * The head failed (quick retries exhausted, or a tier retry failed): retry it at `dueAtMs`
 * through `lane`, or apply the policy's limit. The wait is the policy's delay or the
 * endpoint's Retry-After, whichever is longer, but never past the limit: the last retry is
 * due exactly at the limit, so the endpoint gets the whole window.
 */
export function decideRetry(policy: RetryPolicy, lanes: readonly RetryLane[], head: FailedHead): RetryDecision {
  const deadlineMs = head.firstFailureAtMs + policy.limitMs;
  const exhausted = head.nowMs >= deadlineMs || (policy.maxRetries !== null && head.retryCount >= policy.maxRetries);
  if (exhausted) return missedSlotRetry(policy, lanes, head) ?? limitDecision(policy.onLimit);
  const delayMs = policy.delaysMs[Math.min(head.retryCount, policy.delaysMs.length - 1)] ?? 0;
  const waitMs = Math.max(delayMs, head.retryAfterMs ?? 0);
  const dueAtMs = Math.min(head.nowMs + waitMs, deadlineMs);
  return { kind: 'retry', lane: laneFor(dueAtMs - head.nowMs, lanes), dueAtMs, retryCount: head.retryCount + 1 };
}

/**
 * A scheduled head past its policy's retries: the next `stepMs` boundary strictly after now
 * (epoch-aligned, so :00/:15/:30/:45 at time scale 1, and the scheduler's quarter hours when
 * the dispatcher's scale is the inverse of the scheduler's), while it is within `forMs` of
 * the first failure; null when there is none (the policy's limit applies).
 */
function missedSlotRetry(policy: RetryPolicy, lanes: readonly RetryLane[], head: FailedHead): RetryDecision | null {
  const m = policy.missedSlots;
  if (head.scheduled !== true || m === undefined) return null;
  const dueAtMs = (Math.floor(head.nowMs / m.stepMs) + 1) * m.stepMs;
  if (dueAtMs > head.firstFailureAtMs + m.forMs) return null;
  return { kind: 'retry', lane: laneFor(dueAtMs - head.nowMs, lanes), dueAtMs, retryCount: head.retryCount + 1 };
}

function limitDecision(action: LimitAction): RetryDecision {
  switch (action) {
    case 'deactivate':
      return { kind: 'deactivate' };
    case 'pause':
      return { kind: 'pause' };
    case 'disable':
      return { kind: 'disable' };
    default: {
      const unreachable: never = action;
      throw new Error(`unknown limit action ${String(unreachable)}`);
    }
  }
}
