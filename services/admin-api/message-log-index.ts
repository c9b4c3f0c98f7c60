import type { AttemptOutcome, AttemptTrigger, LoggedMessageAttempt } from '../shared/message-log/message-log-record.js';

/** One attempt as the index keeps it: what happened, and where its body sits in `webhook.messages`. */
export interface IndexedAttempt {
  readonly at: string;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly outcome: AttemptOutcome;
  readonly retryCount: number;
  readonly trigger: AttemptTrigger;
  readonly offset: bigint;
}

export interface IndexedMessage {
  readonly webhookId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly contentType: string;
  readonly itemCount: number;
  readonly partition: number;
  /** The offset of its first attempt: the order of a subscription's messages, and the page cursor. */
  readonly firstOffset: bigint;
  readonly createdAtMs: number;
  readonly attempts: IndexedAttempt[];
}

/** `delivered` once a dispatch attempt got a 2xx; a resend never changes it. */
export function deliveryStatus(m: IndexedMessage): AttemptOutcome {
  return m.attempts.some((a) => a.trigger === 'dispatch' && a.outcome === 'delivered') ? 'delivered' : 'failed';
}

export interface MessageFilter {
  readonly sinceMs: number | null;
  readonly untilMs: number | null;
  readonly status: AttemptOutcome | null;
  /** Only messages whose first offset is below this (the previous page's cursor). */
  readonly before: bigint | null;
  readonly limit: number;
}

interface SubscriptionMessages {
  /** In first-offset order; `start` skips the evicted ones until the array is compacted. */
  list: IndexedMessage[];
  start: number;
}

/**
 * The delivery log in memory, bounded: at most `maxMessages` requests (the oldest read are
 * dropped first) and `maxAttemptsPerMessage` attempts each (the latest kept). Bodies are not
 * here; each attempt says where its body is. Fed in offset order per partition.
 */
export class MessageLogIndex {
  private readonly byId = new Map<string, IndexedMessage>();
  private readonly bySubscription = new Map<string, SubscriptionMessages>();

  constructor(private readonly maxMessages: number, private readonly maxAttemptsPerMessage: number) {}

  get size(): number {
    return this.byId.size;
  }

  add(partition: number, offset: bigint, a: LoggedMessageAttempt): void {
    const attempt: IndexedAttempt = {
      at: a.at, statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error, outcome: a.outcome, retryCount: a.retryCount, trigger: a.trigger, offset,
    };
    const known = this.byId.get(a.webhookId);
    if (known !== undefined) {
      // A record read again (a restarted reader) is already in.
      if (known.attempts.some((x) => x.offset === offset)) return;
      known.attempts.push(attempt);
      if (known.attempts.length > this.maxAttemptsPerMessage) known.attempts.splice(0, known.attempts.length - this.maxAttemptsPerMessage);
      return;
    }
    const message: IndexedMessage = {
      webhookId: a.webhookId, subscriptionId: a.subscriptionId, accountId: a.accountId, contentType: a.contentType, itemCount: a.itemCount,
      partition, firstOffset: offset, createdAtMs: Date.parse(a.at), attempts: [attempt],
    };
    this.byId.set(a.webhookId, message);
    let sub = this.bySubscription.get(a.subscriptionId);
    if (sub === undefined) this.bySubscription.set(a.subscriptionId, (sub = { list: [], start: 0 }));
    sub.list.push(message);
    if (this.byId.size > this.maxMessages) this.evictOldest();
  }

  get(webhookId: string): IndexedMessage | undefined {
    return this.byId.get(webhookId);
  }

  /** Newest first; `nextBefore` is the cursor of the next page, null on the last one. */
  list(subscriptionId: string, f: MessageFilter): { messages: IndexedMessage[]; nextBefore: bigint | null } {
    const sub = this.bySubscription.get(subscriptionId);
    if (sub === undefined) return { messages: [], nextBefore: null };
    const out: IndexedMessage[] = [];
    for (let i = this.endBefore(sub, f.before) - 1; i >= sub.start; i--) {
      const m = sub.list[i] as IndexedMessage;
      if (f.untilMs !== null && m.createdAtMs > f.untilMs) continue;
      // Times follow offsets closely but not exactly (a slow attempt logged late): never stop on time, only on the page.
      if (f.sinceMs !== null && m.createdAtMs < f.sinceMs) continue;
      if (f.status !== null && deliveryStatus(m) !== f.status) continue;
      if (out.length === f.limit) return { messages: out, nextBefore: (out[out.length - 1] as IndexedMessage).firstOffset };
      out.push(m);
    }
    return { messages: out, nextBefore: null };
  }

  /** The index past the last message whose first offset is below `before` (binary search). */
  private endBefore(sub: SubscriptionMessages, before: bigint | null): number {
    if (before === null) return sub.list.length;
    let lo = sub.start;
    let hi = sub.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sub.list[mid] as IndexedMessage).firstOffset < before) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private evictOldest(): void {
    const oldest = this.byId.values().next().value as IndexedMessage | undefined;
    if (oldest === undefined) return;
    this.byId.delete(oldest.webhookId);
    const sub = this.bySubscription.get(oldest.subscriptionId);
    if (sub === undefined) return;
    // The oldest message of the whole index is the oldest of its subscription (each subscription is read in offset order).
    sub.start += 1;
    if (sub.start === sub.list.length) this.bySubscription.delete(oldest.subscriptionId);
    else if (sub.start > 1_024 && sub.start * 2 > sub.list.length) {
      sub.list = sub.list.slice(sub.start);
      sub.start = 0;
    }
  }
}
