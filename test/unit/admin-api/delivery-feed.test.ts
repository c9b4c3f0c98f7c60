import { describe, expect, it } from 'vitest';
import { newFeedEntries } from '../../../services/admin-api/new-feed-entries.js';
import { feedEvent } from '../../../services/admin-api/feed-stream.js';
import { capFeedBody, decodeFeedEntry, maxFeedBodyBytes } from '../../../services/shared/delivery-feed.js';
import type { FeedEntry } from '../../../services/shared/delivery-feed.js';

const entry = (entryId: string, extra: Partial<FeedEntry> = {}): FeedEntry => ({
  entryId, at: '2026-12-01T10:00:00.000Z', webhookId: `msg_${entryId}`, mode: 'test', statusCode: 200, latencyMs: 3, error: null,
  items: 1, contentType: 'application/json', body: '{"a":1}', bodyTruncated: false, ...extra,
});

describe('the live feed', () => {
  it('sends what is newer than the last entry sent, oldest first, and everything when that entry was trimmed away', () => {
    const list = [entry('c'), entry('b'), entry('a')];
    expect(newFeedEntries(list, null).map((e) => e.entryId)).toEqual(['a', 'b', 'c']);
    expect(newFeedEntries(list, 'a').map((e) => e.entryId)).toEqual(['b', 'c']);
    expect(newFeedEntries(list, 'c')).toEqual([]);
    expect(newFeedEntries(list, 'gone').map((e) => e.entryId)).toEqual(['a', 'b', 'c']);
    expect(newFeedEntries([], 'a')).toEqual([]);
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

  it('decodes what the writers write and skips anything else', () => {
    const good = entry('a', { statusCode: null, latencyMs: null, error: 'timeout', mode: 'live', items: 20 });
    expect(decodeFeedEntry(JSON.stringify(good))).toEqual(good);
    const bad: unknown[] = [
      'not json', null, [], 'x', { ...good, mode: 'other' }, { ...good, statusCode: '200' }, { ...good, items: -1 }, { ...good, items: 1.5 },
      { ...good, body: undefined }, { ...good, bodyTruncated: 'no' }, { ...good, error: 5 }, { ...good, latencyMs: -3 },
    ];
    for (const b of bad) expect(decodeFeedEntry(typeof b === 'string' ? b : JSON.stringify(b)), JSON.stringify(b)).toBeNull();
  });

  it('writes one server-sent event per entry, its data on one line whatever the body holds', () => {
    const text = feedEvent(entry('a', { body: 'line1\nline2\r\n\ndata: forged' }));
    expect(text.startsWith('id: a\nevent: delivery\ndata: ')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(true);
    expect(text.slice(0, -2).split('\n')).toHaveLength(3);
    expect(JSON.parse(text.split('\n')[2]?.slice(6) ?? '')).toMatchObject({ body: 'line1\nline2\r\n\ndata: forged' });
  });
});
