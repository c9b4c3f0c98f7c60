import { randomBytes } from 'node:crypto';
import type { FailureEvent, FailureEventKind } from '../../../schemas/failure-event.js';
import type { Subscription } from '../subscriptions/subscription-types.js';
import { urlWithoutCredentials } from './url-without-credentials.js';

/**
 * What changed, in the terms of whoever saw it (the dispatcher for delivery states, the
 * admin API for `verification_failed`); one variant per failure-event kind.
 */
export type FailureChange =
  | { readonly kind: 'parked'; readonly failure: FailureFacts; readonly nextRetryAtMs: number }
  | { readonly kind: 'still_failing'; readonly failure: FailureFacts; readonly nextRetryAtMs: number }
  | { readonly kind: 'recovered'; readonly retryCount: number; readonly backlogSize: number | null }
  | { readonly kind: 'deactivated'; readonly failure: FailureFacts; readonly discarded: { readonly items: number; readonly topic: string } }
  | { readonly kind: 'paused'; readonly failure: FailureFacts }
  | { readonly kind: 'verification_failed'; readonly error: string; readonly statusCode: number | null };

export interface FailureFacts {
  readonly firstFailureAtMs: number;
  readonly lastError: string;
  readonly lastStatusCode: number | null;
  readonly backlogSize: number | null;
  readonly retryCount: number;
}

export type FailureEventSubject = Pick<Subscription, 'id' | 'accountId' | 'name' | 'url' | 'alertEmails' | 'retryPolicy'>;

export function newFailureEventId(): string {
  return `fev_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The `webhook.failures` record for a state change of a subscription (pure; contract in
 * `schemas/failure-event.ts`). The URL never carries credentials.
 */
export function buildFailureEvent(subject: FailureEventSubject, change: FailureChange, at: { readonly eventId: string; readonly nowMs: number }): FailureEvent {
  const base = {
    schemaVersion: 1, eventId: at.eventId, kind: change.kind satisfies FailureEventKind, at: iso(at.nowMs),
    subscriptionId: subject.id, accountId: subject.accountId, subscriptionName: subject.name,
    url: urlWithoutCredentials(subject.url), alertEmails: [...subject.alertEmails], retryPolicy: subject.retryPolicy,
  } as const;
  const none = { firstFailureAt: null, lastError: null, lastStatusCode: null, backlogSize: null, nextRetryAt: null, retryCount: 0, discarded: null };
  const facts = (f: FailureFacts): Omit<FailureEvent, keyof typeof base | 'nextRetryAt' | 'discarded'> => ({
    firstFailureAt: iso(f.firstFailureAtMs), lastError: f.lastError, lastStatusCode: f.lastStatusCode,
    backlogSize: f.backlogSize, retryCount: f.retryCount,
  });
  switch (change.kind) {
    case 'parked':
    case 'still_failing':
      return { ...base, ...facts(change.failure), nextRetryAt: iso(change.nextRetryAtMs), discarded: null };
    case 'recovered':
      return { ...base, ...none, retryCount: change.retryCount, backlogSize: change.backlogSize };
    case 'deactivated':
      return { ...base, ...facts(change.failure), nextRetryAt: null, discarded: change.discarded };
    case 'paused':
      return { ...base, ...facts(change.failure), nextRetryAt: null, discarded: null };
    case 'verification_failed':
      return { ...base, ...none, lastError: change.error, lastStatusCode: change.statusCode };
    default: {
      const unreachable: never = change;
      throw new Error(`unknown failure change ${JSON.stringify(unreachable)}`);
    }
  }
}
