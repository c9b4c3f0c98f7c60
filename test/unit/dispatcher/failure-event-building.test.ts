import { describe, expect, it } from 'vitest';
import { decodeFailureEvent } from '../../../schemas/failure-event.js';
import { buildFailureEvent, newFailureEventId } from '../../../services/shared/failures/build-failure-event.js';
import type { FailureChange, FailureEventSubject } from '../../../services/shared/failures/build-failure-event.js';
import { urlWithoutCredentials } from '../../../services/shared/failures/url-without-credentials.js';

const subject: FailureEventSubject = {
  id: 'sub_000000000aaaaaaaaaaaaaaaa', accountId: 'acc_alpha', name: 'Fleet GPS',
  url: 'https://alice:s3cret@hooks.example/in?token=abc&fleet=7', alertEmails: ['ops@example.com'], retryPolicy: 'standard-7d',
};
const t0 = Date.parse('2026-11-23T12:00:00.000Z');
const failure = { firstFailureAtMs: t0, lastError: 'endpoint answered 503', lastStatusCode: 503, backlogSize: 42, retryCount: 2 };
const at = { eventId: 'fev_test1', nowMs: t0 + 60_000 };

const rows: Array<[FailureChange, Record<string, unknown>]> = [
  [{ kind: 'parked', failure: { ...failure, retryCount: 0 }, nextRetryAtMs: t0 + 300_000 },
    { firstFailureAt: '2026-11-23T12:00:00.000Z', nextRetryAt: '2026-11-23T12:05:00.000Z', retryCount: 0, backlogSize: 42, discarded: null }],
  [{ kind: 'still_failing', failure, nextRetryAtMs: t0 + 1_200_000 },
    { lastError: 'endpoint answered 503', lastStatusCode: 503, nextRetryAt: '2026-11-23T12:20:00.000Z', retryCount: 2 }],
  [{ kind: 'recovered', retryCount: 3, backlogSize: 42 },
    { firstFailureAt: null, lastError: null, nextRetryAt: null, retryCount: 3, backlogSize: 42, discarded: null }],
  [{ kind: 'deactivated', failure, discarded: { items: 42, topic: 'webhook.audit' } },
    { nextRetryAt: null, discarded: { items: 42, topic: 'webhook.audit' }, firstFailureAt: '2026-11-23T12:00:00.000Z' }],
  [{ kind: 'paused', failure }, { nextRetryAt: null, discarded: null, lastStatusCode: 503 }],
  [{ kind: 'verification_failed', error: 'wrong challenge answer', statusCode: 200 },
    { firstFailureAt: null, lastError: 'wrong challenge answer', lastStatusCode: 200, retryCount: 0 }],
];

describe('failure event building', () => {
  it.each(rows.map(([change, fields]) => [change.kind, change, fields] as const))('%s satisfies the webhook.failures contract', (_, change, fields) => {
    const event = buildFailureEvent(subject, change, at);
    expect(event).toMatchObject({
      schemaVersion: 1, eventId: 'fev_test1', kind: change.kind, at: '2026-11-23T12:01:00.000Z',
      subscriptionId: subject.id, accountId: 'acc_alpha', subscriptionName: 'Fleet GPS', alertEmails: ['ops@example.com'],
      retryPolicy: 'standard-7d', ...fields,
    });
    expect(decodeFailureEvent(JSON.stringify(event))).toEqual({ kind: 'ok', event });
    expect(JSON.stringify(event)).not.toMatch(/s3cret|alice|abc/);
  });

  it('event ids are prefixed and unique', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newFailureEventId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^fev_[0-9a-z]+$/);
  });
});

describe('urlWithoutCredentials', () => {
  it.each([
    ['https://alice:s3cret@hooks.example/in', 'https://hooks.example/in'],
    ['https://alice@hooks.example/in', 'https://hooks.example/in'],
    ['https://hooks.example/in?token=abc&fleet=7', 'https://hooks.example/in?token=***&fleet=7'],
    ['https://hooks.example/in?api_key=abc&sig=x', 'https://hooks.example/in?api_key=***&sig=***'],
    ['http://127.0.0.1:8080/hook', 'http://127.0.0.1:8080/hook'],
    ['not a url //bob:pw@host/x', 'not a url //host/x'],
  ])('%s → %s', (raw, safe) => {
    expect(urlWithoutCredentials(raw)).toBe(safe);
  });
});
