/**
 * Delivery counters of a subscription (DESIGN.md §3). The dispatcher keeps them (in
 * Redis); until a source reports a figure it is null — the API never makes numbers up.
 * While the subscription is parked (§6) `currentTier` names the retry lane its failed
 * request waits on (e.g. `webhook.retry.35m`, or `paused`) and `firstFailureAt` says
 * since when it has been failing.
 */
export interface DeliveryStatus {
  readonly backlogSize: number | null;
  readonly currentTier: string | null;
  readonly firstFailureAt: string | null;
  readonly totalMessages: number | null;
  readonly totalDelivered: number | null;
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly lastError: string | null;
  readonly nextRetryAt: string | null;
  readonly recentAttempts: readonly DeliveryAttempt[] | null;
}

export interface DeliveryAttempt {
  readonly at: string;
  readonly statusCode: number | null;
  readonly latencyMs: number | null;
  readonly error: string | null;
  readonly webhookId: string;
}

export interface DeliveryStatusSource {
  read(subscriptionId: string): Promise<DeliveryStatus>;
  /** The newest `limit` delivery attempts, newest first; null when nothing is known. */
  attempts(subscriptionId: string, limit: number): Promise<readonly DeliveryAttempt[] | null>;
}

export const unknownDeliveryStatus: DeliveryStatus = {
  backlogSize: null,
  currentTier: null,
  firstFailureAt: null,
  totalMessages: null,
  totalDelivered: null,
  lastSuccessAt: null,
  lastFailureAt: null,
  lastError: null,
  nextRetryAt: null,
  recentAttempts: null,
};

/** Used until the dispatcher publishes its counters: every figure is "not known". */
export const noDeliveryStatus: DeliveryStatusSource = {
  read: () => Promise.resolve(unknownDeliveryStatus),
  attempts: () => Promise.resolve(null),
};
