/**
 * The demo feed of a subscription in Redis: the requests most recently sent to its
 * endpoint, body included (capped), for the portal's live feed (DESIGN.md §11). Written by
 * whoever sends (the admin API's test events; the dispatcher's recorder, every attempt),
 * read by the admin API. A Redis stream trimmed to `maxFeedEntries` and expiring when
 * idle: at most ~`maxFeedEntries × maxFeedBodyBytes` per subscription, nothing to clean
 * up. A stream rather than a list: its ids are ordered, so a reader asks for what came
 * after the last entry it sent (XRANGE `(id`) and an idle poll returns nothing.
 *
 * - `<prefix>feed:<subscriptionId>` stream; each entry has one field, `e`: the JSON of a
 *   `FeedEntry` without `entryId` (the stream id is the entry id).
 */
export const maxFeedEntries = 20;
export const maxFeedBodyBytes = 8_192;
export const feedTtlSeconds = 86_400;
export const feedField = 'e';

export interface FeedEntry {
  /** The stream entry id (`<ms>-<seq>`): ordered, the event stream's `id`. */
  readonly entryId: string;
  readonly at: string;
  readonly webhookId: string;
  readonly mode: 'live' | 'test';
  readonly statusCode: number | null;
  readonly latencyMs: number | null;
  readonly error: string | null;
  readonly items: number;
  readonly contentType: string;
  /** The request body, cut at `maxFeedBodyBytes` (then `bodyTruncated`). */
  readonly body: string;
  readonly bodyTruncated: boolean;
}

/** What a writer supplies (the body as text or as its UTF-8 bytes); the body cap is applied by `encodeFeedEntry`, the id by Redis. */
export type NewFeedEntry = Omit<FeedEntry, 'entryId' | 'bodyTruncated' | 'body'> & { readonly body: string | Buffer };

export function feedKey(prefix: string, subscriptionId: string): string {
  return `${prefix}feed:${subscriptionId}`;
}

/** The body as stored: at most `maxFeedBodyBytes` bytes of UTF-8, never a split character. */
export function capFeedBody(body: string | Buffer): { body: string; bodyTruncated: boolean } {
  if (Buffer.isBuffer(body)) {
    if (body.length <= maxFeedBodyBytes) return { body: body.toString('utf8'), bodyTruncated: false };
    return { body: body.toString('utf8', 0, maxFeedBodyBytes).replace(/\uFFFD$/, ''), bodyTruncated: true };
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short body needs no count (this runs for every request sent).
  if (body.length * 3 <= maxFeedBodyBytes || Buffer.byteLength(body, 'utf8') <= maxFeedBodyBytes) return { body, bodyTruncated: false };
  // Only the start is encoded: the first maxFeedBodyBytes units are at least that many bytes (a pair is kept whole).
  let units = Math.min(body.length, maxFeedBodyBytes);
  const last = body.charCodeAt(units - 1);
  if (last >= 0xd800 && last <= 0xdbff && units < body.length) units += 1;
  // Decoding a cut buffer turns a partial trailing character into U+FFFD; strip that.
  const cut = Buffer.from(body.slice(0, units), 'utf8').subarray(0, maxFeedBodyBytes).toString('utf8').replace(/\uFFFD$/, '');
  return { body: cut, bodyTruncated: true };
}

/** The stored value of the entry's `e` field: the body capped. */
export function encodeFeedEntry(entry: NewFeedEntry): string {
  return JSON.stringify({ ...entry, ...capFeedBody(entry.body) });
}

/** Decodes one entry; anything that is not what the writers write is skipped (null). */
export function decodeFeedEntry(entryId: string, raw: string): FeedEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const str = (x: unknown): x is string => typeof x === 'string';
  const intOrNull = (x: unknown): x is number | null => x === null || (typeof x === 'number' && Number.isInteger(x) && x >= 0);
  if (!str(o.at) || !str(o.webhookId) || !str(o.contentType) || !str(o.body)) return null;
  if (o.mode !== 'live' && o.mode !== 'test') return null;
  if (!intOrNull(o.statusCode) || !intOrNull(o.latencyMs) || !(o.error === null || str(o.error))) return null;
  if (typeof o.items !== 'number' || !Number.isInteger(o.items) || o.items < 0 || typeof o.bodyTruncated !== 'boolean') return null;
  return {
    entryId, at: o.at, webhookId: o.webhookId, mode: o.mode, statusCode: o.statusCode, latencyMs: o.latencyMs,
    error: o.error, items: o.items, contentType: o.contentType, body: o.body, bodyTruncated: o.bodyTruncated,
  };
}
