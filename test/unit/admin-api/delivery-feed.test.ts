import { describe, expect, it } from 'vitest';
import { feedEvent, streamFeed } from '../../../services/admin-api/feed-stream.js';
import type { DeliveryFeedSource } from '../../../services/admin-api/redis-delivery-feed.js';
import { capFeedBody, decodeFeedEntry, maxFeedBodyBytes } from '../../../services/shared/delivery-feed.js';
import type { FeedEntry } from '../../../services/shared/delivery-feed.js';

const entry = (entryId: string, extra: Partial<FeedEntry> = {}): FeedEntry => ({
  entryId, at: '2026-12-01T10:00:00.000Z', webhookId: `msg_${entryId}`, mode: 'test', statusCode: 200, latencyMs: 3, error: null,
  items: 1, contentType: 'application/json', body: '{"a":1}', bodyTruncated: false, ...extra,
});

describe('the live feed', () => {
  it('streams the recent entries, then only what came after the last one sent, with heartbeats, and says when it expires', async () => {
    const stored = [entry('1-0'), entry('2-0')];
    const asked: (string | null)[] = [];
    const source: DeliveryFeedSource = {
      read: async (_id, afterId) => {
        asked.push(afterId);
        if (asked.length === 3) stored.push(entry('3-0'));
        return afterId === null ? stored : stored.filter((e) => e.entryId > afterId);
      },
    };
    const written: string[] = [];
    const stop = new AbortController();
    await streamFeed(source, 'sub_1', { write: (t) => void written.push(t), signal: stop.signal }, { pollMs: 5, maxDurationMs: 120, heartbeatMs: 30 });
    const ids = written.filter((w) => w.startsWith('id: ')).map((w) => w.split('\n')[0]);
    expect(ids).toEqual(['id: 1-0', 'id: 2-0', 'id: 3-0']);
    expect(asked.slice(0, 4)).toEqual([null, '2-0', '2-0', '3-0']);
    expect(written[0]).toBe('retry: 2000\n\n');
    expect(written).toContain(': keep-alive\n\n');
    expect(written.at(-1)).toBe('event: expired\ndata: {}\n\n');
  });

  it('stops at once, and quietly, when the client goes away', async () => {
    const stop = new AbortController();
    const written: string[] = [];
    const source: DeliveryFeedSource = { read: async () => (stop.abort(), []) };
    await streamFeed(source, 'sub_1', { write: (t) => void written.push(t), signal: stop.signal }, { pollMs: 60_000, maxDurationMs: 600_000, heartbeatMs: 15_000 });
    expect(written).toEqual(['retry: 2000\n\n']);
  });

  it('caps a body at 8 KiB of UTF-8 without splitting a character', () => {
    expect(capFeedBody('small')).toEqual({ body: 'small', bodyTruncated: false });
    const exact = 'x'.repeat(maxFeedBodyBytes);
    expect(capFeedBody(exact).bodyTruncated).toBe(false);
    const multi = capFeedBody(`x${'€'.repeat(maxFeedBodyBytes)}`);
    expect(multi.bodyTruncated).toBe(true);
    expect(Buffer.byteLength(multi.body)).toBeLessThanOrEqual(maxFeedBodyBytes);
    expect(multi.body).not.toContain('\uFFFD');
    expect(multi.body.endsWith('€')).toBe(true);
  });

  it('cuts a long body exactly where encoding all of it would, also inside a surrogate pair or a multi-byte character', () => {
    const reference = (body: string): string => Buffer.from(body, 'utf8').subarray(0, maxFeedBodyBytes).toString('utf8').replace(/\uFFFD$/, '');
    const bodies = [
      'a'.repeat(maxFeedBodyBytes + 1), `${'a'.repeat(maxFeedBodyBytes - 1)}😀tail`, `${'a'.repeat(maxFeedBodyBytes - 2)}😀tail`, `${'a'.repeat(maxFeedBodyBytes - 3)}😀😀`,
      `${'a'.repeat(maxFeedBodyBytes - 1)}€€`, '😀'.repeat(maxFeedBodyBytes), `${'é'.repeat(3_000)}${'z'.repeat(6_000)}`, `{"data":[${'{"v":"ü"},'.repeat(2_000)}]}`,
    ];
    for (const body of bodies) {
      expect(capFeedBody(body)).toEqual({ body: reference(body), bodyTruncated: true });
      // The dispatcher hands over the bytes it sent: the same entry.
      expect(capFeedBody(Buffer.from(body, 'utf8'))).toEqual({ body: reference(body), bodyTruncated: true });
    }
    expect(capFeedBody(Buffer.from('{"a":"€"}'))).toEqual({ body: '{"a":"€"}', bodyTruncated: false });
    expect(capFeedBody('é'.repeat(maxFeedBodyBytes / 2))).toEqual({ body: 'é'.repeat(maxFeedBodyBytes / 2), bodyTruncated: false });
  });

  it('decodes what the writers write and skips anything else', () => {
    const good = entry('5-1', { statusCode: null, latencyMs: null, error: 'timeout', mode: 'live', items: 20 });
    const { entryId: _id, ...stored } = good;
    expect(decodeFeedEntry('5-1', JSON.stringify(stored))).toEqual(good);
    const bad: unknown[] = [
      'not json', null, [], 'x', { ...good, mode: 'other' }, { ...good, statusCode: '200' }, { ...good, items: -1 }, { ...good, items: 1.5 },
      { ...good, body: undefined }, { ...good, bodyTruncated: 'no' }, { ...good, error: 5 }, { ...good, latencyMs: -3 },
    ];
    for (const b of bad) expect(decodeFeedEntry('1-0', typeof b === 'string' ? b : JSON.stringify(b)), JSON.stringify(b)).toBeNull();
  });

  it('writes one server-sent event per entry, its data on one line whatever the body holds', () => {
    const text = feedEvent(entry('a', { body: 'line1\nline2\r\n\ndata: forged' }));
    expect(text.startsWith('id: a\nevent: delivery\ndata: ')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(true);
    expect(text.slice(0, -2).split('\n')).toHaveLength(3);
    expect(JSON.parse(text.split('\n')[2]?.slice(6) ?? '')).toMatchObject({ body: 'line1\nline2\r\n\ndata: forged' });
  });
});
