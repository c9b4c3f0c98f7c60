import type { FailureChange, FailureFacts } from '../../shared/failures/build-failure-event.js';
import { decideRetry } from '../retry/retry-policy.js';
import type { LimitAction, RetryLane, RetryPolicy } from '../retry/retry-policy.js';
import { isScheduledTicket } from '../retry/retry-ticket.js';
import type { RetryTicket } from '../retry/retry-ticket.js';

/**
 * What to write when a parked subscription's head fails (pure; prepare → call → handle):
 * the next ticket on the lane its wait picks, or the policy's limit — each with the
 * failure event the alerter needs. `ticket.retryCount` is the retries done so far (0 when
 * the quick retries have just failed and the subscription is being parked).
 */
export type HeadFailurePlan =
  | { readonly kind: 'retry'; readonly laneTopic: string; readonly dueAtMs: number; readonly ticket: RetryTicket; readonly event: FailureChange }
  | { readonly kind: 'limit'; readonly action: LimitAction; readonly event: Extract<FailureChange, { kind: 'paused' | 'deactivated' }> };

export interface HeadFailure {
  readonly ticket: RetryTicket;
  readonly error: string;
  readonly statusCode: number | null;
  readonly retryAfterMs?: number | undefined;
  readonly nowMs: number;
  /** Items waiting behind the head, when known (for the alert). */
  readonly backlogSize: number | null;
  /** Broker name of `webhook.audit`, where a deactivated subscription's items go. */
  readonly auditTopic: string;
}

export function planHeadFailure(policy: RetryPolicy, lanes: readonly RetryLane[], f: HeadFailure): HeadFailurePlan {
  const { ticket } = f;
  const decision = decideRetry(policy, lanes, {
    firstFailureAtMs: ticket.firstFailureAtMs, retryCount: ticket.retryCount, nowMs: f.nowMs, retryAfterMs: f.retryAfterMs, scheduled: isScheduledTicket(ticket),
  });
  const facts: FailureFacts = {
    firstFailureAtMs: ticket.firstFailureAtMs, lastError: f.error, lastStatusCode: f.statusCode,
    backlogSize: f.backlogSize, retryCount: ticket.retryCount,
  };
  switch (decision.kind) {
    case 'retry': {
      const next: RetryTicket = { ...ticket, retryCount: decision.retryCount, lastError: f.error, lastStatusCode: f.statusCode };
      const kind = ticket.retryCount === 0 ? 'parked' : 'still_failing';
      return { kind: 'retry', laneTopic: decision.lane.topic, dueAtMs: decision.dueAtMs, ticket: next, event: { kind, failure: facts, nextRetryAtMs: decision.dueAtMs } };
    }
    case 'pause':
      return { kind: 'limit', action: 'pause', event: { kind: 'paused', failure: facts } };
    case 'deactivate':
    case 'disable': {
      const items = ticket.items.length + (f.backlogSize ?? 0);
      return { kind: 'limit', action: decision.kind, event: { kind: 'deactivated', failure: facts, discarded: { items, topic: f.auditTopic } } };
    }
    default: {
      const unreachable: never = decision;
      throw new Error(`unknown retry decision ${JSON.stringify(unreachable)}`);
    }
  }
}
