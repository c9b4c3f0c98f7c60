import { errorMessage } from '../shared/errors.js';
import type { GroupConsumer, KafkaClient } from '../shared/kafka/kafka-port.js';
import type { Logger } from '../shared/logger.js';

/**
 * Which scheduler instance is the active one: every instance joins one consumer group on
 * the one-partition `scheduler.slots`; the member assigned its partition 0 is active until
 * the next rebalance starts. A standby waits in the group; a crashed active one is replaced
 * after the session timeout. Each term has a number: work started in one term stops writing
 * when the term is over. A consumer that stops for good is replaced after a second.
 */
export class SchedulerLeadership {
  private consumer: GroupConsumer | null = null;
  private term = 0;
  private activeTerm: number | null = null;
  private closed = false;
  private readonly listeners: ((term: number) => void)[] = [];

  constructor(private readonly o: { kafka: KafkaClient; topic: string; groupId: string; sessionTimeoutMs: number; logger: Logger }) {}

  /** Called with the term number when this instance becomes active. */
  onActive(listener: (term: number) => void): void {
    this.listeners.push(listener);
  }

  /** Whether `term` is still the active term. */
  holds(term: number): boolean {
    return this.activeTerm === term && !this.closed;
  }

  get active(): boolean {
    return this.activeTerm !== null && !this.closed;
  }

  async start(): Promise<void> {
    const consumer = this.o.kafka.consumer({ groupId: this.o.groupId, sessionTimeoutMs: this.o.sessionTimeoutMs, heartbeatIntervalMs: Math.min(1_000, Math.floor(this.o.sessionTimeoutMs / 3)) });
    this.consumer = consumer;
    consumer.onJoin((assignment) => {
      const owns = (assignment[this.o.topic] ?? []).includes(0);
      this.term++;
      this.activeTerm = owns ? this.term : null;
      this.o.logger.info(owns ? 'active scheduler' : 'standby scheduler', { term: this.term });
      if (owns) for (const l of this.listeners) l(this.term);
    });
    consumer.onRebalancing(() => {
      if (this.activeTerm !== null) this.o.logger.info('scheduler group rebalancing: not active until the next assignment', { term: this.term });
      this.activeTerm = null;
    });
    consumer.onCrash(({ error, restarting }) => {
      this.activeTerm = null;
      this.o.logger.warn('scheduler group consumer crashed', { error: errorMessage(error), restarting });
      if (!restarting && !this.closed) setTimeout(() => void this.restart(consumer), 1_000).unref();
    });
    await consumer.connect();
    // The records are read by the slot ledger; membership is what this consumer is for.
    await consumer.run({
      topics: [this.o.topic], fromBeginning: false, partitionsConsumedConcurrently: 1, autoCommit: { intervalMs: 5_000 }, resolveBatchOnReturn: true,
      handler: { kind: 'batch', eachBatch: async () => undefined },
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.activeTerm = null;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async restart(old: GroupConsumer): Promise<void> {
    if (this.closed || this.consumer !== old) return;
    await old.disconnect().catch(() => undefined);
    try {
      await this.start();
    } catch (err) {
      this.o.logger.warn('scheduler group consumer restart failed; retrying', { error: errorMessage(err) });
      setTimeout(() => void this.restart(this.consumer ?? old), 1_000).unref();
    }
  }
}
