import type { ParkingPhase } from './parking-book.js';

export const parkingPhases: readonly ParkingPhase[] = ['parked', 'draining', 'closing'];

/** One subscription parked on this instance, with what its delivery status says. */
export interface ParkedSubscriptionStatus {
  readonly phase: ParkingPhase;
  /** Items waiting behind the head (the status's backlogSize); null when unknown. */
  readonly backlogItems: number | null;
  /** When the failures of the current episode began; null when unknown. */
  readonly firstFailureAtMs: number | null;
}

export interface BacklogDepth {
  readonly subscriptions: Readonly<Record<ParkingPhase, number>>;
  readonly items: Readonly<Record<ParkingPhase, number>>;
  /** Age of the oldest episode (seconds since its first failure), 0 when nothing is parked. */
  readonly oldestParkedSeconds: number;
}

/**
 * Backlog depth per parking phase (pure): how many subscriptions and how many waiting
 * items. Unknown sizes count as 0 items; negative or non-finite values are ignored.
 */
export function summariseBacklogs(parked: Iterable<ParkedSubscriptionStatus>, nowMs: number): BacklogDepth {
  const subscriptions = { parked: 0, draining: 0, closing: 0 };
  const items = { parked: 0, draining: 0, closing: 0 };
  let oldestMs = nowMs;
  for (const p of parked) {
    subscriptions[p.phase]++;
    if (p.backlogItems !== null && Number.isFinite(p.backlogItems) && p.backlogItems > 0) items[p.phase] += p.backlogItems;
    if (p.firstFailureAtMs !== null && Number.isFinite(p.firstFailureAtMs) && p.firstFailureAtMs < oldestMs) oldestMs = p.firstFailureAtMs;
  }
  return { subscriptions, items, oldestParkedSeconds: (nowMs - oldestMs) / 1_000 };
}
