import { describe, expect, it } from 'vitest';
import { decodeRetryTicket, encodeRetryTicket } from '../../../services/dispatcher/retry/retry-ticket.js';
import type { RetryTicket } from '../../../services/dispatcher/retry/retry-ticket.js';

const ticket: RetryTicket = {
  v: 1, subscriptionId: 'sub_000000000aaaaaaaaaaaaaaaa', episodeId: 'pke_1', retryCount: 2, firstFailureAtMs: 1_764_000_000_000,
  retryPolicy: 'standard-7d', webhookId: 'msg_abc', lastError: 'endpoint answered 503', lastStatusCode: 503,
  items: [{ deliveriesOffset: '41', value: '{"v":2}\n{"lat":1}' }, { deliveriesOffset: '42', value: '{"v":2}\n{"lat":2}' }],
};

describe('retry ticket', () => {
  it('round-trips, items untouched and in order', () => {
    expect(decodeRetryTicket(encodeRetryTicket(ticket))).toEqual({ kind: 'ticket', ticket });
    const kept = { ...ticket, enqueuedAtMs: 1_763_999_999_000 };
    expect(decodeRetryTicket(encodeRetryTicket(kept))).toEqual({ kind: 'ticket', ticket: kept });
  });

  const broken = (patch: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ ...ticket, ...patch }));
  it.each([
    ['null value', null, /null value/],
    ['not JSON', Buffer.from('{'), /not JSON/],
    ['another version', broken({ v: 2 }), /version 1/],
    ['no episode', broken({ episodeId: 7 }), /episodeId/],
    ['negative retry count', broken({ retryCount: -1 }), /retryCount/],
    ['fractional first failure', broken({ firstFailureAtMs: 1.5 }), /firstFailureAtMs/],
    ['enqueue time as text', broken({ enqueuedAtMs: '2025-01-01' }), /enqueuedAtMs/],
    ['negative enqueue time', broken({ enqueuedAtMs: -5 }), /enqueuedAtMs/],
    ['unknown policy', broken({ retryPolicy: 'forever' }), /retryPolicy/],
    ['status as text', broken({ lastStatusCode: '503' }), /lastStatusCode/],
    ['no items', broken({ items: [] }), /non-empty/],
    ['item without offset', broken({ items: [{ value: 'x' }] }), /deliveriesOffset/],
    ['item offset not decimal', broken({ items: [{ value: 'x', deliveriesOffset: '-1' }] }), /deliveriesOffset/],
  ] as const)('is invalid with %s', (_, value, reason) => {
    const decoded = decodeRetryTicket(value);
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind === 'invalid') expect(decoded.reason).toMatch(reason);
  });
});
