import { nextBoundary, slotAttemptAt } from '../shared/schedule/cadence-slots.js';
import type { Cadence } from '../shared/subscriptions/subscription-types.js';
import type { SlotState } from './slot-record.js';

/** What `scheduler.slots` says of a subscription: its last slot and where that record sits. */
export interface SlotMark {
  readonly slotMs: number;
  readonly state: SlotState;
  /** The offset of the record (for `claimed`: the parts' origin). */
  readonly offset: string;
}

export interface SlotPlanInput {
  readonly cadence: Cadence;
  /**
   * When the subscription was created or last went live again (`liveSince`), schedule time:
   * its first slot is the first boundary after it, and no slot before it is sent.
   */
  readonly subscribedAtMs: number;
  readonly last: SlotMark | undefined;
  /** Schedule time. */
  readonly nowMs: number;
  readonly lateRetryMs: number;
  readonly maxLatenessMs: number;
}

export type SlotPlan =
  /** Nothing due; the next slot is attempted at `atMs` (schedule time). */
  | { readonly kind: 'wait'; readonly atMs: number }
  /** A claimed slot whose `written` is missing (a scheduler stopped in it): write its parts again under the same claim. */
  | { readonly kind: 'redo'; readonly slotMs: number; readonly claimOffset: string }
  | { readonly kind: 'claim'; readonly slotMs: number };

/**
 * The next step for one scheduled subscription (pure). Slots go one after another: the
 * one after the last written (or the first after subscribing), never one older than
 * `maxLatenessMs` (a long outage resumes at the oldest slot within it) nor one from before
 * the subscription last went live (a resumed subscription starts at its next boundary). A slot is due at
 * its boundary; one later than `lateRetryMs` waits for the next boundary of that step
 * (:00, :15, :30, :45 by default).
 */
export function planSlot(i: SlotPlanInput): SlotPlan {
  if (i.last?.state === 'claimed') return { kind: 'redo', slotMs: i.last.slotMs, claimOffset: i.last.offset };
  const after = Math.max(i.last?.slotMs ?? i.subscribedAtMs, i.subscribedAtMs, i.nowMs - i.maxLatenessMs - 1);
  const slotMs = nextBoundary(i.cadence, after);
  const atMs = slotAttemptAt(slotMs, i.nowMs, i.lateRetryMs);
  return atMs <= i.nowMs ? { kind: 'claim', slotMs } : { kind: 'wait', atMs };
}
