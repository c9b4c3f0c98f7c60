import type { Redis } from 'ioredis';

/**
 * A replay's progress as the admin API shows it: a Redis hash `<prefix>replay:<replayId>`
 * (best effort, like the rest of the delivery status). The admin API writes it when it
 * accepts a replay (`queued`); the owning dispatcher updates it on every `progress` and end
 * record, and writes it again from `webhook.replays` when it takes a partition over, so a
 * lost hash comes back with the next owner. The replay itself lives in Kafka.
 */
export const replayStates = ['queued', 'running', 'done', 'cancelling', 'cancelled', 'failed'] as const;
export type ReplayState = (typeof replayStates)[number];

export interface ReplayStatus {
  readonly id: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly from: string;
  readonly to: string;
  readonly state: ReplayState;
  /** Requests delivered (2xx). */
  readonly requestsSent: number;
  /** Items in the requests delivered. */
  readonly itemsSent: number;
  readonly requestedAt: string;
  readonly updatedAt: string;
  /** Why it failed, when it did. */
  readonly error: string | null;
}

export const replayStatusTtlSeconds = 30 * 24 * 3600;

export function replayStatusKey(prefix: string, replayId: string): string {
  return `${prefix}replay:${replayId}`;
}

export async function writeReplayStatus(redis: Redis, prefix: string, s: ReplayStatus): Promise<void> {
  const key = replayStatusKey(prefix, s.id);
  await redis.multi()
    .hset(key, {
      id: s.id, subscriptionId: s.subscriptionId, accountId: s.accountId, from: s.from, to: s.to, state: s.state,
      requestsSent: String(s.requestsSent), itemsSent: String(s.itemsSent), requestedAt: s.requestedAt, updatedAt: s.updatedAt, error: s.error ?? '',
    })
    .expire(key, replayStatusTtlSeconds)
    .exec();
}

export async function readReplayStatus(redis: Redis, prefix: string, replayId: string): Promise<ReplayStatus | null> {
  const h = await redis.hgetall(replayStatusKey(prefix, replayId));
  const state = h.state as ReplayState | undefined;
  if (h.id === undefined || h.subscriptionId === undefined || h.accountId === undefined || state === undefined || !replayStates.includes(state)) return null;
  return {
    id: h.id, subscriptionId: h.subscriptionId, accountId: h.accountId, from: h.from ?? '', to: h.to ?? '', state,
    requestsSent: Number(h.requestsSent ?? '0') || 0, itemsSent: Number(h.itemsSent ?? '0') || 0,
    requestedAt: h.requestedAt ?? '', updatedAt: h.updatedAt ?? '', error: h.error === undefined || h.error === '' ? null : h.error,
  };
}
