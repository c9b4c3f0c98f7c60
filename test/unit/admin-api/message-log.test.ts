import { describe, expect, it } from 'vitest';
import { MessageLogIndex } from '../../../services/admin-api/message-log-index.js';
import type { MessageFilter } from '../../../services/admin-api/message-log-index.js';
import { decodeMessageQuery, encodeMessageCursor } from '../../../services/admin-api/message-query.js';
import { ApiError } from '../../../services/admin-api/api-error.js';
import { ValidationError } from '../../../services/shared/errors.js';
import { decodeMessageAttempt, encodeMessageAttempt, messageHeader } from '../../../services/shared/message-log/message-log-record.js';
import type { LoggedMessageAttempt } from '../../../services/shared/message-log/message-log-record.js';

const attempt = (over: Partial<LoggedMessageAttempt> = {}): LoggedMessageAttempt => ({
  webhookId: 'msg_a', subscriptionId: 'sub_1', accountId: 'acc_alpha', contentType: 'application/json', itemCount: 2,
  at: '2026-12-01T10:00:00.000Z', statusCode: 200, latencyMs: 12, error: null, outcome: 'delivered', retryCount: 0, trigger: 'dispatch', ...over,
});
const all: MessageFilter = { sinceMs: null, untilMs: null, status: null, before: null, limit: 100 };

describe('message log record', () => {
  it('keeps the body as the value and the attempt in one header, and reads back what it wrote', () => {
    const body = Buffer.from('{"id":"msg_a","data":[1,2]}');
    const record = encodeMessageAttempt(attempt({ error: 'x'.repeat(600), statusCode: null, outcome: 'failed' }), body);
    expect(record.key).toBe('sub_1');
    expect(record.value).toBe(body);
    const read = decodeMessageAttempt(record.headers);
    expect(read).toMatchObject({ kind: 'ok', value: { statusCode: null, outcome: 'failed', trigger: 'dispatch' } });
    expect(read.kind === 'ok' && read.value.error?.length).toBe(500);
  });

  it.each([
    ['no header', undefined, /no fleethook-message header/],
    ['not JSON', { [messageHeader]: 'nope' }, /JSON/i],
    ['a bad outcome', { [messageHeader]: JSON.stringify({ ...attempt(), outcome: 'maybe' }) }, /outcome/],
    ['a bad time', { [messageHeader]: JSON.stringify({ ...attempt(), at: 'yesterday' }) }, /at: must be an ISO 8601 time/],
    ['a bad webhook-id', { [messageHeader]: Buffer.from(JSON.stringify({ ...attempt(), webhookId: 'x' })) }, /webhookId/],
  ])('refuses a record with %s', (_what, headers, reason) => {
    const read = decodeMessageAttempt(headers);
    expect(read.kind).toBe('invalid');
    expect(read.kind === 'invalid' && read.reason).toMatch(reason);
  });
});

describe('message log index', () => {
  it('gathers attempts per webhook-id, ignores a record read twice, lists newest first with a cursor and filters', () => {
    const index = new MessageLogIndex(100, 3);
    index.add(0, 10n, attempt({ webhookId: 'msg_a', outcome: 'failed', statusCode: 503, at: '2026-12-01T10:00:00.000Z' }));
    index.add(0, 11n, attempt({ webhookId: 'msg_a', retryCount: 1, at: '2026-12-01T10:00:01.000Z' }));
    index.add(0, 11n, attempt({ webhookId: 'msg_a', retryCount: 1, at: '2026-12-01T10:00:01.000Z' }));
    index.add(0, 12n, attempt({ webhookId: 'msg_b', at: '2026-12-01T11:00:00.000Z', outcome: 'failed', statusCode: 500 }));
    index.add(0, 13n, attempt({ webhookId: 'msg_c', at: '2026-12-01T12:00:00.000Z' }));
    index.add(0, 14n, attempt({ webhookId: 'msg_x', subscriptionId: 'sub_2' }));
    expect(index.get('msg_a')?.attempts.map((a) => a.offset)).toEqual([10n, 11n]);
    expect(index.list('sub_1', all).messages.map((m) => m.webhookId)).toEqual(['msg_c', 'msg_b', 'msg_a']);
    const first = index.list('sub_1', { ...all, limit: 2 });
    expect([first.messages.map((m) => m.webhookId), first.nextBefore]).toEqual([['msg_c', 'msg_b'], 12n]);
    const second = index.list('sub_1', { ...all, limit: 2, before: 12n });
    expect([second.messages.map((m) => m.webhookId), second.nextBefore]).toEqual([['msg_a'], null]);
    expect(index.list('sub_1', { ...all, status: 'failed' }).messages.map((m) => m.webhookId)).toEqual(['msg_b']);
    expect(index.list('sub_1', { ...all, sinceMs: Date.parse('2026-12-01T10:30:00Z'), untilMs: Date.parse('2026-12-01T11:30:00Z') }).messages.map((m) => m.webhookId)).toEqual(['msg_b']);
    expect(index.list('sub_9', all)).toEqual({ messages: [], nextBefore: null });
  });

  it('is bounded: the oldest message goes first, and a message keeps its latest attempts', () => {
    const index = new MessageLogIndex(3, 2);
    for (let i = 0; i < 5; i++) index.add(0, BigInt(i), attempt({ webhookId: `msg_${i}` }));
    for (let r = 1; r <= 3; r++) index.add(0, BigInt(10 + r), attempt({ webhookId: 'msg_4', retryCount: r }));
    expect(index.size).toBe(3);
    expect(index.get('msg_0')).toBeUndefined();
    expect(index.list('sub_1', all).messages.map((m) => m.webhookId)).toEqual(['msg_4', 'msg_3', 'msg_2']);
    expect(index.get('msg_4')?.attempts.map((a) => a.retryCount)).toEqual([2, 3]);
  });
});

describe('message list query', () => {
  const q = (text: string): MessageFilter => decodeMessageQuery(new URLSearchParams(text), 'sub_1');
  const refusal = (text: string): { kind: string; field: string | null | undefined } => {
    try {
      q(text);
      return { kind: 'accepted', field: null };
    } catch (err) {
      if (err instanceof ValidationError) return { kind: '400', field: err.issues[0]?.field };
      if (err instanceof ApiError) return { kind: String(err.status), field: err.field };
      throw err;
    }
  };

  it('reads times, status, limit and its own cursor', () => {
    expect(q('')).toEqual({ sinceMs: null, untilMs: null, status: null, before: null, limit: 50 });
    expect(q('since=2024-02-29T23:59:59-17:26').sinceMs).toBe(Date.parse('2024-03-01T17:25:59Z'));
    expect(q(`since=2026-12-01T10:00:00%2B01:00&until=2026-12-01T10:00:00.5Z&status=failed&limit=100&cursor=${encodeMessageCursor('sub_1', 42n)}`)).toEqual({
      sinceMs: Date.parse('2026-12-01T09:00:00Z'), untilMs: Date.parse('2026-12-01T10:00:00.500Z'), status: 'failed', before: 42n, limit: 100,
    });
  });

  it.each([
    ['since=yesterday', '400', 'query.since'],
    ['since=2026-12-01T10:00:00', '400', 'query.since'],
    ['until=2026-12-01T25:00:00Z', '400', 'query.until'],
    ['until=7102-06-31T20:58:03.7-17:26', '400', 'query.until'],
    ['since=2026-02-29T00:00:00Z', '400', 'query.since'],
    ['since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z', '422', 'query.until'],
    ['status=lost', '400', 'query.status'],
    ['limit=101', '400', 'query.limit'],
    ['limit=1.5', '400', 'query.limit'],
    ['cursor=a%20b', '400', 'query.cursor'],
    ['cursor=bm90LWEtY3Vyc29y', '422', 'query.cursor'],
    [`cursor=${encodeMessageCursor('sub_2', 1n)}`, '422', 'query.cursor'],
    ['status=failed&status=delivered', '400', 'query.status'],
    ['offset=3', '400', 'query.offset'],
  ])('refuses %s (%s, naming %s)', (text, kind, field) => {
    expect(refusal(text)).toEqual({ kind, field });
  });
});
