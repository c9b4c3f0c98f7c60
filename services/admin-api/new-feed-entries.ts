import type { FeedEntry } from '../shared/delivery-feed.js';

/**
 * What a feed stream has not sent yet (pure): `current` is the list as read, newest first;
 * everything newer than the last entry sent, oldest first. If that entry is no longer in
 * the list (trimmed away), the whole list is new: the stream may skip entries that came
 * and went between two reads, never repeats one.
 */
export function newFeedEntries(current: readonly FeedEntry[], lastSentId: string | null): FeedEntry[] {
  const fresh: FeedEntry[] = [];
  for (const entry of current) {
    if (entry.entryId === lastSentId) break;
    fresh.push(entry);
  }
  return fresh.reverse();
}
