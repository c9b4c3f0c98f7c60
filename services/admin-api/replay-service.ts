import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { KafkaClient, RecordProducer } from '../shared/kafka/kafka-port.js';
import type { Logger } from '../shared/logger.js';
import { encodeReplayRecord, replayIdPattern } from '../shared/replay/replay-records.js';
import { readReplayStatus, writeReplayStatus } from '../shared/replay/replay-status.js';
import type { ReplayStatus } from '../shared/replay/replay-status.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import { decodeReplayRequest } from './replay-request.js';
import type { SubscriptionService } from './subscription-service.js';

export interface ReplayServiceDeps {
  readonly service: Pick<SubscriptionService, 'get'>;
  readonly kafka: KafkaClient;
  readonly producer: RecordProducer;
  /** `webhook.replays` and the telemetry topic of each subscription kind. */
  readonly topics: { readonly replays: string; readonly telemetry: Readonly<Record<'gps' | 'dtc' | 'event', string>> };
  readonly redis: Redis;
  readonly redisKeyPrefix: string;
  readonly logger: Logger;
  readonly now: () => Date;
}

const finalStates: ReadonlySet<string> = new Set(['done', 'cancelled', 'failed']);

/**
 * Replays (issue 15 part 2): the admin API checks the window and hands the request to the
 * subscription's dispatcher through `webhook.replays` (ARCHITECTURE.md, "Replays"); the
 * dispatcher runs it and keeps its progress. Account-scoped: another account's
 * subscription or replay is a 404.
 */
export class ReplayService {
  constructor(private readonly d: ReplayServiceDeps) {}

  async start(principal: Principal, id: string, body: unknown): Promise<ReplayStatus> {
    const now = this.d.now();
    const window = decodeReplayRequest(body, now.getTime());
    const sub = await this.d.service.get(principal, id);
    if (sub.source.kind === 'scheduled') throw new ApiError('conflict', 'a scheduled subscription has no telemetry stream to replay', 'id');
    if (sub.state !== 'active' && sub.state !== 'failing') {
      throw new ApiError('conflict', `the subscription is ${sub.state}; a replay needs an active subscription`, 'state');
    }
    const earliest = await this.earliestAvailable(this.d.topics.telemetry[sub.source.kind], now.getTime());
    if (window.fromMs < earliest) {
      throw new ApiError('replay_window_expired', `from is older than the telemetry Kafka keeps: the earliest time available is ${new Date(earliest).toISOString()}`, 'from');
    }
    const replayId = `rpl_${randomBytes(12).toString('hex')}`;
    const requestedAt = now.toISOString();
    await this.d.producer.send(this.d.topics.replays, [{
      key: sub.id,
      value: encodeReplayRecord({ type: 'request', replayId, subscriptionId: sub.id, accountId: sub.accountId, fromMs: window.fromMs, toMs: window.toMs, requestedAt }),
    }]);
    const status: ReplayStatus = {
      id: replayId, subscriptionId: sub.id, accountId: sub.accountId, from: new Date(window.fromMs).toISOString(), to: new Date(window.toMs).toISOString(),
      state: 'queued', requestsSent: 0, itemsSent: 0, requestedAt, updatedAt: requestedAt, error: null,
    };
    await writeReplayStatus(this.d.redis, this.d.redisKeyPrefix, status).catch((err: unknown) => this.d.logger.warn('could not record the replay status', { replayId, err }));
    this.d.logger.info('replay requested', { subscriptionId: sub.id, replayId, from: status.from, to: status.to });
    return status;
  }

  async get(principal: Principal, id: string, replayId: string): Promise<ReplayStatus> {
    const sub = await this.d.service.get(principal, id);
    const status = replayIdPattern.test(replayId) ? await readReplayStatus(this.d.redis, this.d.redisKeyPrefix, replayId).catch(() => null) : null;
    if (status === null || status.subscriptionId !== sub.id) throw new ApiError('not_found', 'no replay with this id for this subscription', 'replayId');
    return status;
  }

  /** Cancels a replay not ended yet (its owner sends no request after it reads the cancel); an ended one is shown as it is. */
  async cancel(principal: Principal, id: string, replayId: string): Promise<ReplayStatus> {
    const status = await this.get(principal, id, replayId);
    if (finalStates.has(status.state)) return status;
    await this.d.producer.send(this.d.topics.replays, [{ key: status.subscriptionId, value: encodeReplayRecord({ type: 'cancel', replayId }) }]);
    const cancelling: ReplayStatus = { ...status, state: 'cancelling', updatedAt: this.d.now().toISOString() };
    await writeReplayStatus(this.d.redis, this.d.redisKeyPrefix, cancelling).catch((err: unknown) => this.d.logger.warn('could not record the replay status', { replayId, err }));
    return cancelling;
  }

  /**
   * What Kafka still keeps of the topic by time: everything written since now − `retention.ms`
   * (a segment goes only when its newest record is older than that).
   */
  private async earliestAvailable(topic: string, nowMs: number): Promise<number> {
    const admin = this.d.kafka.admin();
    await admin.connect();
    try {
      const configs = await admin.topicConfigs([topic], ['retention.ms']);
      const retention = Number(configs.get(topic)?.['retention.ms'] ?? '-1');
      return Number.isFinite(retention) && retention >= 0 ? nowMs - retention : 0;
    } catch (err) {
      this.d.logger.warn('telemetry retention unknown', { topic, err });
      throw new ApiError('unavailable', 'the telemetry topic could not be described; retry', null);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
