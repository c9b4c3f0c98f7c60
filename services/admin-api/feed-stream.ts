import { setTimeout as sleep } from 'node:timers/promises';
import type { FeedEntry } from '../shared/delivery-feed.js';
import type { DeliveryFeedSource } from './redis-delivery-feed.js';

/** Where a stream writes; `signal` aborts when the client goes away or the server closes. */
export interface StreamSink {
  write(text: string): void;
  readonly signal: AbortSignal;
}

export interface FeedStreamTiming {
  readonly pollMs: number;
  /** After this the stream says `expired` and ends; the portal asks for a new token (keys may have changed). */
  readonly maxDurationMs: number;
  readonly heartbeatMs: number;
}

export const defaultFeedStreamTiming: FeedStreamTiming = { pollMs: 1_000, maxDurationMs: 600_000, heartbeatMs: 15_000 };

/** One Server-Sent Event (JSON.stringify never writes a raw newline, so `data` is one line). */
export function feedEvent(entry: FeedEntry): string {
  return `id: ${entry.entryId}\nevent: delivery\ndata: ${JSON.stringify(entry)}\n\n`;
}

/**
 * A subscription's live feed as Server-Sent Events: the recent entries first, then every
 * new one as the poll of the feed stream finds it (an idle poll reads nothing), a comment line as heartbeat (proxies
 * drop idle connections), and `event: expired` at the end of its time.
 */
export async function streamFeed(source: DeliveryFeedSource, subscriptionId: string, sink: StreamSink, timing: FeedStreamTiming): Promise<void> {
  const started = Date.now();
  let lastSentId: string | null = null;
  let lastWriteAt = started;
  sink.write('retry: 2000\n\n');
  while (!sink.signal.aborted && Date.now() - started < timing.maxDurationMs) {
    const fresh = await source.read(subscriptionId, lastSentId);
    for (const entry of fresh) sink.write(feedEvent(entry));
    const newest = fresh[fresh.length - 1];
    if (newest !== undefined) {
      lastSentId = newest.entryId;
      lastWriteAt = Date.now();
    } else if (Date.now() - lastWriteAt >= timing.heartbeatMs) {
      sink.write(': keep-alive\n\n');
      lastWriteAt = Date.now();
    }
    await sleep(timing.pollMs, undefined, { signal: sink.signal }).catch(() => undefined);
  }
  if (!sink.signal.aborted) sink.write('event: expired\ndata: {}\n\n');
}
