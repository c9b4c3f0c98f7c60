/**
 * Where a subscription's latest recovery shows its progress in Redis (best effort, like
 * the rest of the delivery status; the recovery itself lives in Kafka):
 *
 * - `<prefix>recovery:<subscriptionId>` hash, written by the admin API when it starts a
 *   recovery: `id`, `episodeId`, `items`, `startedAt`;
 * - `<prefix>recovered:<recoveryId>` counter, incremented by the dispatcher by the number
 *   of recovered items each delivered drain request carried.
 */
export function recoveryStatusKey(prefix: string, subscriptionId: string): string {
  return `${prefix}recovery:${subscriptionId}`;
}

export function recoveredCountKey(prefix: string, recoveryId: string): string {
  return `${prefix}recovered:${recoveryId}`;
}

/** A status kept this long after its last update (a recovery of 30 days of audit takes far less). */
export const recoveryStatusTtlSeconds = 30 * 24 * 3600;
