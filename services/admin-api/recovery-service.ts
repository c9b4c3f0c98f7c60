import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ValidationError } from '../shared/errors.js';
import type { OutgoingRecord, RecordProducer } from '../shared/kafka/kafka-port.js';
import { chunkBySize } from '../shared/kafka-message-size.js';
import type { Logger } from '../shared/logger.js';
import { auditEpisodeHeader, auditKindHeader, auditRecoveryKind } from '../shared/recovery/audit-headers.js';
import { encodeRecoveryItem, encodeRecoveryMarker } from '../shared/recovery/recovery-records.js';
import { recoveredCountKey, recoveryStatusKey, recoveryStatusTtlSeconds } from '../shared/recovery/recovery-status-keys.js';
import { ApiError } from './api-error.js';
import type { AuditedItem, AuditEpisode, AuditRecord } from './audit-episodes.js';
import { auditEpisodes } from './audit-episodes.js';
import type { Principal } from './authenticate.js';
import type { SubscriptionService } from './subscription-service.js';

export interface RecoveryServiceDeps {
  readonly service: Pick<SubscriptionService, 'get'>;
  readonly audit: { read(subscriptionId: string): Promise<AuditRecord[]> };
  readonly producer: RecordProducer;
  readonly topics: { readonly parked: string; readonly audit: string };
  readonly redis: Redis;
  readonly redisKeyPrefix: string;
  readonly logger: Logger;
  readonly now: () => Date;
  /** How long the call waits for the owning dispatcher to take the recovery in hand. */
  readonly ownerWaitMs: number;
}

export interface RecoveryStarted {
  readonly recoveryId: string;
  readonly subscriptionId: string;
  readonly episodeId: string;
  readonly items: number;
  /** The owning dispatcher has applied the recovery: live data it routes from now on goes behind these items. */
  readonly ownerReady: boolean;
}

/** The latest recovery of a subscription, as its status shows it (Redis, best effort). */
export interface RecoveryStatus {
  readonly id: string;
  readonly episodeId: string;
  readonly items: number;
  readonly recovered: number;
  readonly left: number;
  readonly startedAt: string;
}

/** One request stays well under the topics' 1 MiB `max.message.bytes`. */
const writeBudgetBytes = 768 * 1024;
const episodeIdPattern = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * `POST /v1/subscriptions/:id/recover` (issue 15): hands a deactivation episode's audited
 * items back to the subscription's dispatcher, once. The items go to `webhook.parked` as
 * `recovery-item` records, in audit order, then one `recovery` marker: when the owner
 * reads the marker the items become a backlog, already draining, and the subscription's
 * live items queue behind it as behind any parked backlog (ARCHITECTURE.md, rule 10).
 * Last, a `recovery` record on `webhook.audit` marks the episode recovered, so a second
 * call is a 409.
 */
export class RecoveryService {
  constructor(private readonly d: RecoveryServiceDeps) {}

  async recover(principal: Principal, id: string, body: unknown): Promise<RecoveryStarted> {
    const wanted = decodeRecoverBody(body);
    const sub = await this.d.service.get(principal, id);
    if (sub.state !== 'active') {
      throw new ApiError('conflict', `the subscription is ${sub.state}; a recovery needs an active subscription (reactivate it first)`, 'state');
    }
    const lock = recoveryLockKey(this.d.redisKeyPrefix, sub.id);
    const locked = await this.d.redis.set(lock, '1', 'PX', 120_000, 'NX').catch(() => 'OK');
    if (locked !== 'OK') throw new ApiError('recovery_in_progress', 'a recovery of this subscription is being started; retry shortly', 'id');
    try {
      const episode = pickEpisode(auditEpisodes(await this.d.audit.read(sub.id)), wanted);
      const recoveryId = `rcv_${randomBytes(12).toString('hex')}`;
      await this.writeBack(sub.id, recoveryId, episode);
      await this.recordStatus(sub.id, { recoveryId, episodeId: episode.episodeId, items: episode.items.length });
      const ownerReady = await this.ownerReady(recoveryId);
      this.d.logger.info('recovery started', { subscriptionId: sub.id, recoveryId, episodeId: episode.episodeId, items: episode.items.length, ownerReady });
      return { recoveryId, subscriptionId: sub.id, episodeId: episode.episodeId, items: episode.items.length, ownerReady };
    } finally {
      await this.d.redis.del(lock).catch(() => undefined);
    }
  }

  async status(subscriptionId: string): Promise<RecoveryStatus | null> {
    try {
      const h = await this.d.redis.hgetall(recoveryStatusKey(this.d.redisKeyPrefix, subscriptionId));
      const items = Number(h.items);
      if (h.id === undefined || h.episodeId === undefined || h.startedAt === undefined || !Number.isInteger(items)) return null;
      const counted = Number(await this.d.redis.get(recoveredCountKey(this.d.redisKeyPrefix, h.id)) ?? '0');
      const recovered = Math.min(items, Number.isInteger(counted) ? counted : 0);
      return { id: h.id, episodeId: h.episodeId, items, recovered, left: items - recovered, startedAt: h.startedAt };
    } catch (err) {
      this.d.logger.warn('recovery status unavailable', { subscriptionId, err });
      return null;
    }
  }

  /** Waits (bounded) for the owner's sign that it applied the marker (its recovered-items counter appears in Redis). */
  private async ownerReady(recoveryId: string): Promise<boolean> {
    const key = recoveredCountKey(this.d.redisKeyPrefix, recoveryId);
    const deadline = Date.now() + this.d.ownerWaitMs;
    for (;;) {
      const seen = await this.d.redis.exists(key).catch(() => 0);
      if (seen > 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Items, then the marker (so no live item of the subscription can land between them), then the audit's note. */
  private async writeBack(subscriptionId: string, recoveryId: string, episode: AuditEpisode): Promise<void> {
    const items: OutgoingRecord[] = episode.items.map((i: AuditedItem) => ({ key: subscriptionId, ...encodeRecoveryItem(recoveryId, i) }));
    let first: bigint | null = null;
    let last = -1n;
    let partition: number | null = null;
    for (const chunk of chunkBySize(items, writeBudgetBytes)) {
      const [at] = await this.d.producer.send(this.d.topics.parked, chunk);
      if (at?.baseOffset === undefined || (partition !== null && at.partition !== partition)) throw new Error(`unexpected write result on ${this.d.topics.parked}`);
      partition = at.partition;
      first ??= BigInt(at.baseOffset);
      last = BigInt(at.baseOffset) + BigInt(chunk.length - 1);
    }
    if (first === null || partition === null) throw new Error('nothing written');
    const marker = encodeRecoveryMarker(recoveryId, { firstOffset: String(first), lastOffset: String(last), items: episode.items.length, auditEpisodeId: episode.episodeId });
    await this.d.producer.send(this.d.topics.parked, [{ key: subscriptionId, partition, ...marker }]);
    await this.d.producer.send(this.d.topics.audit, [{
      key: subscriptionId,
      value: JSON.stringify({ recoveryId, items: episode.items.length }),
      headers: { [auditEpisodeHeader]: episode.episodeId, [auditKindHeader]: auditRecoveryKind },
    }]);
  }

  private async recordStatus(subscriptionId: string, r: { recoveryId: string; episodeId: string; items: number }): Promise<void> {
    const key = recoveryStatusKey(this.d.redisKeyPrefix, subscriptionId);
    await this.d.redis.multi()
      .del(key)
      .hset(key, 'id', r.recoveryId, 'episodeId', r.episodeId, 'items', String(r.items), 'startedAt', this.d.now().toISOString())
      .expire(key, recoveryStatusTtlSeconds)
      .exec()
      .catch((err: unknown) => this.d.logger.warn('could not record the recovery status', { subscriptionId, err }));
  }
}

function recoveryLockKey(prefix: string, subscriptionId: string): string {
  return `${prefix}recovering:${subscriptionId}`;
}

/** `{}` or `{ "episodeId": "…" }`; anything else is a 400 naming the field. */
export function decodeRecoverBody(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  const { episodeId, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ValidationError([{ field: unknown, message: 'is not a known field' }]);
  if (episodeId === undefined) return null;
  if (typeof episodeId !== 'string' || !episodeIdPattern.test(episodeId)) {
    throw new ValidationError([{ field: 'episodeId', message: 'must be an episode id: 1 to 100 letters, digits, _ or -' }]);
  }
  return episodeId;
}

/** The chosen episode, or the latest; refused when there is nothing (left) to recover. */
export function pickEpisode(episodes: readonly AuditEpisode[], wanted: string | null): AuditEpisode {
  const episode = wanted === null ? episodes[episodes.length - 1] : episodes.find((e) => e.episodeId === wanted);
  if (episode === undefined) {
    if (wanted !== null) throw new ApiError('not_found', 'no audited episode with this id for this subscription', 'episodeId');
    throw new ApiError('nothing_to_recover', 'nothing of this subscription was audited', 'episodeId');
  }
  if (episode.recovery !== null) {
    throw new ApiError('already_recovered', `episode ${episode.episodeId} was recovered already (${episode.recovery.recoveryId})`, 'episodeId');
  }
  if (episode.items.length === 0) throw new ApiError('nothing_to_recover', `episode ${episode.episodeId} holds no items`, 'episodeId');
  return episode;
}
