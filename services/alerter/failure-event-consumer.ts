import { decodeFailureEvent } from '../../schemas/failure-event.js';
import { CatchUp } from '../shared/kafka/catch-up.js';
import type { KafkaClient, RecordContext } from '../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../shared/kafka/partitioned-consumer.js';
import type { Logger } from '../shared/logger.js';
import type { AlertSender } from './alert-sender.js';
import type { AlerterMetrics } from './alerter-metrics.js';
import { decideAlerts } from './decide-alerts.js';
import type { PlannedAlert } from './decide-alerts.js';
import { PartitionAlertStates } from './partition-alert-states.js';

export interface FailureEventConsumerOptions {
  readonly kafka: KafkaClient;
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
  private readonly consumer: PartitionedConsumer;
  private readonly states = new PartitionAlertStates();
  /** Per gained partition: records below its committed offset are replayed into state, not acted on. */
  private readonly replay = new CatchUp();
  private owned = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private joined = false;
  private wakeSleepers = new Set<() => void>();

  constructor(private readonly o: FailureEventConsumerOptions) {
    // A crashed consumer is restarted; /readyz fails while a partition with events to read makes no progress.
    this.consumer = new PartitionedConsumer({
      client: o.kafka, name: 'failures', logger: o.logger, watchTopics: [o.topic],
      settings: () => ({
        groupId: o.groupId, sessionTimeoutMs: o.sessionTimeoutMs, heartbeatIntervalMs: Math.floor(o.sessionTimeoutMs / 10),
        // Failure events are few: a short long-poll keeps a resumed partition from waiting out a 5 s fetch.
        maxWaitTimeMs: 500,
      }),
      // A new group starts at the beginning: an event is never skipped; e-mails already sent are deduped in Redis.
      run: {
        topics: [o.topic], fromBeginning: true, partitionsConsumedConcurrently: 4, autoCommit: null,
        handler: { kind: 'record', eachRecord: (r) => this.onMessage(r) },
      },
      // A new incarnation rebuilds its partitions' state from scratch, like a new owner.
      onIncarnation: () => {
        for (const p of this.owned) this.drop(p);
        this.owned = new Set();
      },
      onAssigned: (assignment) => this.onJoin(assignment[o.topic] ?? []),
    });
  }

  get isJoined(): boolean {
    return this.joined && !this.stopping && this.consumer.ready();
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.timer = setInterval(() => void this.tick(), this.o.reminderCheckMs);
  }

  /** Stops fetching, abandons retries in progress (their records stay uncommitted), disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    for (const wake of this.wakeSleepers) wake();
    await this.consumer.close();
  }

  private onJoin(partitions: readonly number[]): void {
    this.joined = true;
    const now = new Set(partitions);
    for (const p of this.owned) if (!now.has(p)) this.drop(p);
    const gained = partitions.filter((p) => !this.owned.has(p));
    this.owned = now;
    if (gained.length === 0) return;
    // Synchronously, before the first fetch of this generation: nothing is read until the replay is set up.
    this.consumer.pause(this.o.topic, gained, 'replay');
    gained.forEach((p) => this.replay.hold(p));
    this.prepareReplay(gained).catch((err: unknown) => {
      this.o.logger.error('cannot prepare the state replay; reading on without it', { err, partitions: gained });
      gained.forEach((p) => this.replay.release(p));
      this.consumer.resume(this.o.topic, gained, 'replay');
    });
  }

  private drop(partition: number): void {
    this.states.drop(partition);
    this.replay.drop(partition);
  }

  /** Each gained partition is read from its start up to the committed offset (state only) before it acts. */
  private async prepareReplay(partitions: readonly number[]): Promise<void> {
    const positions = await this.consumer.positions(this.o.topic);
    const until: Record<number, string> = {};
    for (const p of partitions) {
      const at = positions.find((w) => w.partition === p);
      const low = at?.low ?? 0n;
      const target = at !== undefined && at.committed >= 0n ? at.committed : low;
      until[p] = String(target);
      if (!this.replay.expect(p, low, target)) this.consumer.seek(this.o.topic, p, String(low));
    }
    this.o.logger.info('partitions assigned', { topic: this.o.topic, partitions, replayUntil: until });
    this.consumer.resume(this.o.topic, partitions, 'replay');
  }

  private onMessage(payload: RecordContext): Promise<void> {
    return this.states.exclusive(payload.partition, () => this.handle(payload));
  }

  private async handle({ topic, partition, message, heartbeat }: RecordContext): Promise<void> {
    const offset = Number(message.offset);
    const fields = { topic, partition, offset, subscriptionId: message.key?.toString() ?? null };
    const decoded = decodeFailureEvent(message.value);
    const target = this.replay.target(partition);
    const replay = target !== undefined && BigInt(offset) < target;
    if (!replay) this.replay.release(partition);
    if (decoded.kind === 'invalid') {
      if (!replay) {
        this.o.metrics.invalidEvents.inc();
        this.o.logger.error('undecodable failure event skipped', { ...fields, reason: decoded.reason });
        await this.commit(partition, offset);
      } else {
        this.replay.advance(partition, BigInt(offset) + 1n);
      }
      return;
    }
    const event = decoded.event;
    if (replay) {
      const decision = decideAlerts(this.states.get(partition, event.subscriptionId), { kind: 'event', event }, this.clock(Date.parse(event.at)));
      this.states.set(partition, event.subscriptionId, decision.next);
      this.replay.advance(partition, BigInt(offset) + 1n);
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
          this.consumer.pause(this.o.topic, [partition], 'alert-retry');
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
        if (!this.stopping) this.consumer.resume(this.o.topic, [partition], 'alert-retry');
      }
    }
  }

  /** Timer: reminders due on owned, caught-up partitions. A failed send is tried again on the next tick. */
  private async tick(): Promise<void> {
    for (const partition of this.owned) {
      if (this.stopping || this.replay.isCatchingUp(partition) || this.states.isLocked(partition)) continue;
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
    await this.consumer.commitHandled(this.o.topic, partition, String(offset));
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

