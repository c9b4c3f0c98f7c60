import { describe, expect, it } from 'vitest';
import { type FailureEvent, decodeFailureEvent } from '../../../schemas/failure-event.js';

const valid: FailureEvent = {
  schemaVersion: 1,
  eventId: 'fev_1',
  kind: 'parked',
  at: '2026-11-23T12:00:00.000Z',
  subscriptionId: 'sub_1',
  accountId: 'acc_1',
  subscriptionName: 'fleet gps',
  url: 'https://hooks.example.com/gps',
  alertEmails: ['ops@example.com'],
  retryPolicy: 'standard-7d',
  firstFailureAt: '2026-11-23T11:59:00.000Z',
  lastError: 'endpoint answered 503',
  lastStatusCode: 503,
  backlogSize: 12,
  nextRetryAt: '2026-11-23T12:05:00.000Z',
  retryCount: 0,
  discarded: null,
};

const encode = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe('decodeFailureEvent', () => {
  it('accepts a complete event', () => {
    expect(decodeFailureEvent(encode(valid))).toEqual({ kind: 'ok', event: valid });
    const deactivated = { ...valid, kind: 'deactivated', discarded: { items: 40, topic: 'webhook.audit' } };
    expect(decodeFailureEvent(encode(deactivated)).kind).toBe('ok');
  });

  it.each([
    ['null value', null, /empty/],
    ['not JSON', Buffer.from('{oops'), /not JSON/],
    ['array', encode([]), /not an object/],
    ['future schema version', encode({ ...valid, schemaVersion: 2 }), /schemaVersion/],
    ['unknown kind', encode({ ...valid, kind: 'exploded' }), /kind/],
    ['missing subscription id', encode({ ...valid, subscriptionId: undefined }), /subscriptionId/],
    ['empty url', encode({ ...valid, url: '' }), /url/],
    ['bad time', encode({ ...valid, at: 'yesterday' }), /^at/],
    ['bad next retry', encode({ ...valid, nextRetryAt: 12 }), /nextRetryAt/],
    ['fractional backlog', encode({ ...valid, backlogSize: 1.5 }), /backlogSize/],
    ['negative retry count', encode({ ...valid, retryCount: -1 }), /retryCount/],
    ['emails not strings', encode({ ...valid, alertEmails: [1] }), /alertEmails/],
    ['bad discarded', encode({ ...valid, discarded: { items: 'x', topic: 't' } }), /discarded/],
  ])('rejects %s with the reason', (_name, bytes, reason) => {
    const decoded = decodeFailureEvent(bytes);
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind === 'invalid') expect(decoded.reason).toMatch(reason);
  });
});
