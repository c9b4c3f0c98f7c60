/**
 * Where per-subscription delivery status lives in Redis — the contract between the
 * dispatcher (writer) and the admin API (reader). Redis holds only what can be rebuilt
 * or may be lost (counters are best effort; DESIGN.md §6).
 *
 * - `<prefix>delivery:<subscriptionId>`  hash: totalMessages, totalDelivered (items),
 *   lastSuccessAt, lastFailureAt, lastError, nextRetryAt, backlogSize, and while parked
 *   currentTier (lane of the head's ticket, or `paused`) and firstFailureAt;
 * - `<prefix>attempts:<subscriptionId>` list, newest first, capped: one JSON
 *   `{ at, statusCode, latencyMs, error, webhookId }` per attempt.
 */
export const defaultRedisKeyPrefix = 'fleethook:';
export const maxLoggedAttempts = 100;

export const statusFields = {
  totalMessages: 'totalMessages',
  totalDelivered: 'totalDelivered',
  lastSuccessAt: 'lastSuccessAt',
  lastFailureAt: 'lastFailureAt',
  lastError: 'lastError',
  nextRetryAt: 'nextRetryAt',
  backlogSize: 'backlogSize',
  currentTier: 'currentTier',
  firstFailureAt: 'firstFailureAt',
} as const;

export function deliveryStatusKey(prefix: string, subscriptionId: string): string {
  return `${prefix}delivery:${subscriptionId}`;
}

export function attemptLogKey(prefix: string, subscriptionId: string): string {
  return `${prefix}attempts:${subscriptionId}`;
}

export interface LoggedAttempt {
  readonly at: string;
  readonly statusCode: number | null;
  readonly latencyMs: number | null;
  readonly error: string | null;
  readonly webhookId: string;
}

/** Decodes one attempt-log entry; entries that are not what the writer writes are skipped (null). */
export function decodeLoggedAttempt(raw: string): LoggedAttempt | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const numOrNull = (x: unknown): number | null | undefined => (x === null ? null : typeof x === 'number' ? x : undefined);
  const strOrNull = (x: unknown): string | null | undefined => (x === null ? null : typeof x === 'string' ? x : undefined);
  const statusCode = numOrNull(o.statusCode);
  const latencyMs = numOrNull(o.latencyMs);
  const error = strOrNull(o.error);
  if (typeof o.at !== 'string' || typeof o.webhookId !== 'string' || statusCode === undefined || latencyMs === undefined || error === undefined) return null;
  return { at: o.at, statusCode, latencyMs, error, webhookId: o.webhookId };
}
