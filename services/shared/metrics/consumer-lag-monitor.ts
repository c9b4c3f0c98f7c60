import type { KafkaAdmin } from '../kafka/kafka-port.js';
import type { Gauge } from 'prom-client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { consumerLag } from './consumer-lag.js';
import type { LagRow } from './consumer-lag.js';

/** A consumer group and the topics whose lag it reports. */
export interface WatchedGroup {
  readonly group: string;
  readonly topics: readonly string[];
  readonly startsAt: 'earliest' | 'latest';
}

export interface ConsumerLagMonitorOptions {
  readonly admin: KafkaAdmin;
  readonly groups: readonly WatchedGroup[];
  /** Labels group, topic, partition: bounded by the topic catalogue. */
  readonly gauge: Gauge<'group' | 'topic' | 'partition'>;
  readonly intervalMs: number;
  readonly logger: Logger;
}

export const defaultLagIntervalMs = 10_000;
const closeWaitMs = 1_000;

/** Waits for `p` (errors ignored), at most `ms`. */
export async function boundedWait(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (p === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * Reads committed offsets (per group) and high watermarks (per topic) through the admin
 * client every `intervalMs` and publishes the lag of every partition. The whole group is
 * reported, not only what this instance owns: the lag of a dead instance's partitions is
 * the point. Every instance reports the same figures, so dashboards take `max` over
 * instances. A failed read keeps the last figures and is retried at the next tick.
 */
export class ConsumerLagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private connected = false;
  private stopped = false;

  constructor(private readonly o: ConsumerLagMonitorOptions) {}

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => void this.refresh(), this.o.intervalMs);
    this.timer.unref();
    void this.refresh();
  }

  /** One read of every group's lag; concurrent calls share one read. */
  refresh(): Promise<void> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer; a read still retrying against an unreachable cluster is not waited for beyond `closeWaitMs`. */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await boundedWait(this.running, closeWaitMs);
    if (this.connected) await this.o.admin.disconnect().catch(() => undefined);
    this.connected = false;
  }

  private async read(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.connected) {
        await this.o.admin.connect();
        this.connected = true;
      }
      const topics = [...new Set(this.o.groups.flatMap((g) => g.topics))];
      const watermarks = new Map(await Promise.all(topics.map(async (t) => [t, await this.o.admin.watermarks(t)] as const)));
      const rows: LagRow[] = [];
      for (const g of this.o.groups) {
        const committed = await this.o.admin.committedOffsets(g.group, g.topics);
        for (const c of committed) {
          rows.push(...consumerLag({
            group: g.group, topic: c.topic, startsAt: g.startsAt,
            committed: new Map(c.partitions.map((p) => [p.partition, BigInt(p.offset)])),
            watermarks: (watermarks.get(c.topic) ?? []).map((w) => ({ partition: w.partition, high: BigInt(w.high), low: BigInt(w.low) })),
          }));
        }
      }
      if (this.stopped) return;
      this.o.gauge.reset();
      for (const r of rows) this.o.gauge.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.lag);
    } catch (err) {
      if (!this.stopped) this.o.logger.warn('consumer lag not read; keeping the last figures', { err: errorMessage(err) });
    }
  }
}
