import type { Admin, Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { decodeFailureEvent } from '../../schemas/failure-event.js';
import type { Logger } from '../shared/logger.js';
import { ConsumerSupervisor } from '../shared/supervision/consumer-supervisor.js';
import type { AlertSender } from './alert-sender.js';
import type { AlerterMetrics } from './alerter-metrics.js';
import { decideAlerts } from './decide-alerts.js';
import type { PlannedAlert } from './decide-alerts.js';
import { PartitionAlertStates } from './partition-alert-states.js';

export interface FailureEventConsumerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly sender: AlertSender;
  readonly metrics: AlerterMetrics;
  readonly logger: Logger;
  readonly reminderIntervalMs: number;
  readonly reminderCheckMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly sessionTimeoutMs: number;
}

/**
 * Reads `webhook.failures` in its own consumer group and turns events into e-mails.
 *
 * - Offsets: a record's offset is committed only after every e-mail it calls for was sent
 *   or definitively rejected. While SMTP (or Redis) fails, the partition is paused and the
 *   same record retried with backoff: nothing is buffered, nothing skipped.
 * - Reminders: the owner of a partition keeps the alert state of its subscriptions. On each
 *   assignment it rebuilds that state by re-reading the partition from its start up to the
 *   committed offset (state only, no e-mails), then a timer sends reminders when due, so
 *   they do not depend on the retry cadence and move with partition ownership.
 */
export class FailureEventConsumer {
  /** The current incarnation's consumer; the supervisor replaces it after a crash. */
  private consumer!: Consumer;
  private readonly supervisor: ConsumerSupervisor;
  private readonly admin: Admin;
  private readonly states = new PartitionAlertStates();
  /** Per owned partition: records below this offset are replayed into state, not acted on. */
  private readonly replayUntil = new Map<number, number>();
  private readonly replaying = new Set<number>();
  private owned = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private joined = false;
  private wakeSleepers = new Set<() => void>();

  constructor(private readonly o: FailureEventConsumerOptions) {
    // A crashed consumer is restarted; /readyz fails while a partition with events to read makes no progress.
    this.supervisor = new ConsumerSupervisor({
      name: 'failures', kafka: o.kafka, groupId: o.groupId, topics: [o.topic], logger: o.logger,
      create: () => {
        const consumer = o.kafka.consumer({
          groupId: o.groupId, sessionTimeout: o.sessionTimeoutMs, heartbeatInterval: Math.floor(o.sessionTimeoutMs / 10),
          // Failure events are few: a short long-poll keeps a resumed partition from waiting out a 5 s fetch.
          maxWaitTimeInMs: 500,
        });
        // A new incarnation rebuilds its partitions' state from scratch, like a new owner.
        for (const p of this.owned) this.states.drop(p);
        this.owned = new Set();
        consumer.on(consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment[o.topic] ?? []));
        this.consumer = consumer;
        return consumer;
      },
      // A new group starts at the beginning: an event is never skipped; e-mails already sent are deduped in Redis.
      run: async (consumer) => {
        await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
        await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 4, eachMessage: (p) => this.onMessage(p) });
      },
    });
    this.admin = o.kafka.admin();
  }

  get isJoined(): boolean {
    return this.joined && !this.stopping && this.supervisor.ready();
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.supervisor.start();
    this.timer = setInterval(() => void this.tick(), this.o.reminderCheckMs);
  }

  /** Stops fetching, abandons retries in progress (their records stay uncommitted), disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    for (const wake of this.wakeSleepers) wake();
    await this.supervisor.close();
    await this.admin.disconnect().catch(() => undefined);
  }

  private onJoin(partitions: readonly number[]): void {
    this.joined = true;
    const now = new Set(partitions);
    for (const p of this.owned) if (!now.has(p)) this.states.drop(p);
    const gained = partitions.filter((p) => !this.owned.has(p));
    this.owned = now;
    if (gained.length === 0) return;
    // Synchronously, before the first fetch of this generation: nothing is read until the replay is set up.
    this.consumer.pause([{ topic: this.o.topic, partitions: gained }]);
    gained.forEach((p) => this.replaying.add(p));
    this.prepareReplay(gained).catch((err: unknown) => {
      this.o.logger.error('cannot prepare the state replay; reading on without it', { err, partitions: gained });
      gained.forEach((p) => this.replaying.delete(p));
      this.consumer.resume([{ topic: this.o.topic, partitions: gained }]);
    });
  }

  private async prepareReplay(partitions: readonly number[]): Promise<void> {
    const [committed] = await this.admin.fetchOffsets({ groupId: this.o.groupId, topics: [this.o.topic] });
    const watermarks = await this.admin.fetchTopicOffsets(this.o.topic);
    for (const p of partitions) {
      const low = Number(watermarks.find((w) => w.partition === p)?.low ?? 0);
      const at = Number(committed?.partitions.find((c) => c.partition === p)?.offset ?? -1);
      const until = at >= 0 ? at : low;
      this.replayUntil.set(p, until);
      if (until > low) this.consumer.seek({ topic: this.o.topic, partition: p, offset: String(low) });
      else this.replaying.delete(p);
    }
    this.o.logger.info('partitions assigned', { topic: this.o.topic, partitions, replayUntil: Object.fromEntries(partitions.map((p) => [p, this.replayUntil.get(p)])) });
    this.consumer.resume([{ topic: this.o.topic, partitions: [...partitions] }]);
  }

  private onMessage(payload: EachMessagePayload): Promise<void> {
    return this.states.exclusive(payload.partition, () => this.handle(payload));
  }

  private async handle({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const offset = Number(message.offset);
    const fields = { topic, partition, offset, subscriptionId: message.key?.toString() ?? null };
    const decoded = decodeFailureEvent(message.value);
    const replay = offset < (this.replayUntil.get(partition) ?? 0);
    if (!replay) this.replaying.delete(partition);
    if (decoded.kind === 'invalid') {
      if (!replay) {
        this.o.metrics.invalidEvents.inc();
        this.o.logger.error('undecodable failure event skipped', { ...fields, reason: decoded.reason });
        await this.commit(partition, offset);
      }
      return;
    }
    const event = decoded.event;
    if (replay) {
      const decision = decideAlerts(this.states.get(partition, event.subscriptionId), { kind: 'event', event }, this.clock(Date.parse(event.at)));
      this.states.set(partition, event.subscriptionId, decision.next);
      if (offset + 1 >= (this.replayUntil.get(partition) ?? 0)) this.replaying.delete(partition);
      return;
    }
    this.o.metrics.events.inc({ kind: event.kind });
    const decision = decideAlerts(this.states.get(partition, event.subscriptionId), { kind: 'event', event }, this.clock(Date.now()));
    for (const alert of decision.alerts) {
      const done = await this.sendUntilDone(alert, partition, { ...fields, eventId: event.eventId, kind: event.kind }, heartbeat);
      if (!done) return; // stopping: leave the record uncommitted for the next owner
    }
    this.states.set(partition, event.subscriptionId, decision.next);
    this.o.metrics.failingSubscriptions.set(this.states.failingCount());
    await this.commit(partition, offset);
  }

  /** Retries with backoff while the partition stays paused; false when the consumer is stopping. */
  private async sendUntilDone(alert: PlannedAlert, partition: number, fields: Record<string, unknown>, heartbeat: () => Promise<void>): Promise<boolean> {
    let delayMs = this.o.retryMinMs;
    let paused = false;
    try {
      for (;;) {
        if (this.stopping) return false;
        const outcome = await this.o.sender.send(alert, fields);
        if (outcome.kind === 'done') return true;
        if (!paused) {
          this.consumer.pause([{ topic: this.o.topic, partitions: [partition] }]);
          this.o.metrics.pausedPartitions.inc();
          paused = true;
        }
        // A notice deferred by an address cap waits for the window; anything else backs off.
        const waitMs = outcome.retryAfterMs ?? delayMs;
        this.o.logger.warn('alert delayed; partition paused, retrying', { ...fields, alert: alert.kind, reason: outcome.reason, retryInMs: waitMs });
        await this.waitHeartbeating(waitMs, heartbeat); // heartbeat throws on a rebalance: the record stays uncommitted and its new owner sends it
        if (outcome.retryAfterMs === undefined) delayMs = Math.min(delayMs * 2, this.o.retryMaxMs);
      }
    } finally {
      if (paused) {
        this.o.metrics.pausedPartitions.dec();
        if (!this.stopping) this.consumer.resume([{ topic: this.o.topic, partitions: [partition] }]);
      }
    }
  }

  /** Timer: reminders due on owned, caught-up partitions. A failed send is tried again on the next tick. */
  private async tick(): Promise<void> {
    for (const partition of this.owned) {
      if (this.stopping || this.replaying.has(partition) || this.states.isLocked(partition)) continue;
      await this.states.exclusive(partition, () => this.remindOn(partition)).catch((err: unknown) => {
        this.o.logger.error('reminder check failed', { err, partition });
      });
    }
  }

  private async remindOn(partition: number): Promise<void> {
    for (const subscriptionId of this.states.failingOn(partition)) {
      if (this.stopping || !this.owned.has(partition)) return;
      const decision = decideAlerts(this.states.get(partition, subscriptionId), { kind: 'tick' }, this.clock(Date.now()));
      for (const alert of decision.alerts) {
        const outcome = await this.o.sender.send(alert, { topic: this.o.topic, partition, subscriptionId, trigger: 'timer' });
        if (outcome.kind === 'retry') return; // SMTP is likely down: stop this round, not one timeout per subscription
      }
      if (this.owned.has(partition)) this.states.set(partition, subscriptionId, decision.next);
    }
  }

  private async commit(partition: number, offset: number): Promise<void> {
    await this.consumer.commitOffsets([{ topic: this.o.topic, partition, offset: String(offset + 1) }]);
  }

  private clock(nowMs: number): { nowMs: number; reminderIntervalMs: number } {
    return { nowMs, reminderIntervalMs: this.o.reminderIntervalMs };
  }

  /** Sleeps `ms` in steps of a third of the session timeout, heartbeating after each, so a long wait keeps the partition. */
  private async waitHeartbeating(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const step = Math.max(100, Math.floor(this.o.sessionTimeoutMs / 3));
    let left = ms;
    do {
      const now = Math.min(left, step);
      await this.sleep(now);
      left -= now;
      if (this.stopping) return;
      await heartbeat();
    } while (left > 0);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakeSleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeSleepers.add(done);
    });
  }
}

