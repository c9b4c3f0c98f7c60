import type { FailureEvent } from '../../../schemas/failure-event.js';

/** A valid failure event; override what a test is about. */
export function failureEvent(overrides: Partial<FailureEvent> = {}): FailureEvent {
  return {
    schemaVersion: 1,
    eventId: 'fev_1',
    kind: 'parked',
    at: '2026-05-04T10:00:00.000Z',
    subscriptionId: 'sub_1',
    accountId: 'acc_1',
    subscriptionName: 'Fleet GPS',
    url: 'https://hooks.example.com/in',
    alertEmails: ['ops@example.com'],
    retryPolicy: 'standard-7d',
    firstFailureAt: '2026-05-04T10:00:00.000Z',
    lastError: 'endpoint answered 503',
    lastStatusCode: 503,
    backlogSize: 42,
    nextRetryAt: '2026-05-04T10:05:00.000Z',
    retryCount: 3,
    discarded: null,
    ...overrides,
  };
}
