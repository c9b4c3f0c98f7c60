import type { Redis } from 'ioredis';
import type { Gauge } from 'prom-client';
import { deliveryStatusKey, statusFields } from '../../shared/delivery-status-keys.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { boundedWait } from '../../shared/metrics/consumer-lag-monitor.js';
import { parkingPhases, summariseBacklogs } from './backlog-depth.js';
import type { ParkedSubscriptionStatus } from './backlog-depth.js';
import type { ParkingPhase } from './parking-book.js';

export interface BacklogDepthMonitorOptions {
  /** Subscriptions parked, draining or closing on this instance → phase (DeliveryConsumer.parkedSubscriptions). */
  readonly parked: () => ReadonlyMap<string, string>;
  readonly redis: Redis;
  readonly redisKeyPrefix: string;
  readonly gauges: { readonly items: Gauge<'phase'>; readonly oldestParkedSeconds: Gauge };
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Publishes the backlog depth of this instance's parked subscriptions per phase, and the
 * age of its oldest parking episode. The phases come from the delivery consumer's parking
 * books; the sizes and first-failure times from the delivery status the dispatcher keeps
 * in Redis for the admin API (one pipelined HMGET per parked subscription per tick).
 */
export class BacklogDepthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: BacklogDepthMonitorOptions) {
    for (const phase of parkingPhases) o.gauges.items.set({ phase }, 0);
    o.gauges.oldestParkedSeconds.set(0);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.refresh(), this.o.intervalMs);
    this.timer.unref();
  }

  refresh(): Promise<void> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await boundedWait(this.running, 1_000);
  }

  private async read(): Promise<void> {
    const parked = [...this.o.parked()].flatMap(([id, phase]) => (isPhase(phase) ? [{ id, phase }] : []));
    let statuses: ParkedSubscriptionStatus[];
    try {
      statuses = await this.statuses(parked);
    } catch (err) {
      this.o.logger.warn('backlog sizes not read from Redis; counting subscriptions only', { err: errorMessage(err) });
      statuses = parked.map((p) => ({ phase: p.phase, backlogItems: null, firstFailureAtMs: null }));
    }
    const depth = summariseBacklogs(statuses, (this.o.now ?? Date.now)());
    for (const phase of parkingPhases) this.o.gauges.items.set({ phase }, depth.items[phase]);
    this.o.gauges.oldestParkedSeconds.set(depth.oldestParkedSeconds);
  }

  private async statuses(parked: readonly { id: string; phase: ParkingPhase }[]): Promise<ParkedSubscriptionStatus[]> {
    if (parked.length === 0) return [];
    const pipeline = this.o.redis.pipeline();
    for (const p of parked) pipeline.hmget(deliveryStatusKey(this.o.redisKeyPrefix, p.id), statusFields.backlogSize, statusFields.firstFailureAt);
    const replies = (await pipeline.exec()) ?? [];
    return parked.map((p, i) => {
      const [err, value] = replies[i] ?? [null, null];
      const [size, first] = err === null && Array.isArray(value) ? (value as (string | null)[]) : [null, null];
      const firstMs = first === null || first === undefined ? NaN : Date.parse(first);
      return { phase: p.phase, backlogItems: size === null || size === undefined ? null : Number(size), firstFailureAtMs: Number.isNaN(firstMs) ? null : firstMs };
    });
  }
}

function isPhase(value: string): value is ParkingPhase {
  return (parkingPhases as readonly string[]).includes(value);
}
