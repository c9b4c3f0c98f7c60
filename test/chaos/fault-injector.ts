import { Redis } from 'ioredis';
import { startCluster, stopClusterNode } from '../../stack/cluster.js';
import type { DispatcherHarness, DispatcherProcess } from '../helpers/dispatcher-harness.js';
import type { EndpointMode, FaultEndpoint } from '../helpers/fault-endpoint.js';
import { waitFor } from '../helpers/wait-for.js';
import { describeFault } from './chaos-timeline.js';
import type { EndpointFault, PlannedFault } from './chaos-timeline.js';
import type { BrokerStop, LoadBurst } from './failover-latency.js';

/** What happened when, relative to the start of the fault phase. */
export interface InjectedEvent {
  readonly atMs: number;
  readonly text: string;
}

/** An executed SIGKILL/SIGTERM, in absolute time, for the failover latency windows. */
export interface DispatcherStop {
  readonly kind: 'kill' | 'term';
  readonly atMs: number;
  readonly slot: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function endpointMode(f: EndpointFault): EndpointMode {
  switch (f.kind) {
    case 'status':
      return { kind: 'reply', status: f.status };
    case 'throttle':
      return { kind: 'reply', status: 429, headers: { 'retry-after': String(f.retryAfterS) } };
    case 'gone':
      return { kind: 'reply', status: 410 };
    case 'hang':
      return { kind: 'hang' };
    case 'refused':
      return { kind: 'refused' };
  }
}

/**
 * Carries out a planned timeline on the real stack: dispatcher child processes in slots
 * (SIGKILL / SIGTERM, then a restart), endpoint modes, FLUSHALL on the run's own Redis,
 * cluster broker stops, and the load multiplier the fleet reads. `heal()` ends every fault.
 */
export class FaultInjector {
  readonly events: InjectedEvent[] = [];
  readonly stops: DispatcherStop[] = [];
  /** Load bursts as they ran (failover windows they overlap are not judged). */
  readonly bursts: LoadBurst[] = [];
  /** Broker stops as they ran (failover windows they overlap are not judged either). */
  readonly brokerStops: BrokerStop[] = [];
  readonly errors: string[] = [];
  readonly processes: { slot: number; proc: DispatcherProcess }[] = [];
  loadMultiplier = 1;
  private readonly slots: (DispatcherProcess | null)[];
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private startedAt = 0;
  private stoppedBrokers = new Set<number>();

  constructor(
    private readonly h: DispatcherHarness,
    slotCount: number,
    private readonly endpoints: readonly FaultEndpoint[],
    private readonly redisUrl: string,
  ) {
    this.slots = Array.from({ length: slotCount }, () => null);
  }

  async startDispatchers(): Promise<void> {
    for (let slot = 0; slot < this.slots.length; slot++) await this.startSlot(slot);
  }

  /** Schedules every fault relative to now. */
  run(timeline: readonly PlannedFault[]): void {
    this.startedAt = Date.now();
    for (const f of timeline) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.track(this.inject(f).catch((err: unknown) => {
          this.errors.push(`${describeFault(f)}: ${err instanceof Error ? err.message : String(err)}`);
        }));
      }, f.atMs);
      this.timers.add(t);
    }
  }

  /** Waits for every fault in flight to end, then makes sure all is up: endpoints ok, brokers and dispatchers running. */
  async heal(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    for (const ep of this.endpoints) if (ep.current.kind !== 'ok') await ep.set({ kind: 'ok' });
    if (this.stoppedBrokers.size > 0) await this.startBrokers();
    for (let slot = 0; slot < this.slots.length; slot++) if (this.slots[slot] === null) await this.startSlot(slot);
    this.loadMultiplier = 1;
    this.note('healed: endpoints answer 200, every broker and dispatcher runs');
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private note(text: string): void {
    this.events.push({ atMs: Date.now() - this.startedAt, text });
  }

  private async startSlot(slot: number): Promise<void> {
    const proc = await this.h.startProcess();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${proc.port}/readyz`)).status === 200, { timeoutMs: 60_000, intervalMs: 200, what: `dispatcher ${slot} ready` });
    this.slots[slot] = proc;
    this.processes.push({ slot, proc });
  }

  private async startBrokers(): Promise<void> {
    await startCluster();
    this.stoppedBrokers.clear();
  }

  private async inject(f: PlannedFault): Promise<void> {
    this.note(describeFault(f));
    switch (f.kind) {
      case 'dispatcher-kill':
      case 'dispatcher-term': {
        const proc = this.slots[f.slot];
        if (proc === null || proc === undefined) {
          this.note(`dispatcher ${f.slot} is not running: fault skipped`);
          return;
        }
        this.slots[f.slot] = null;
        this.stops.push({ kind: f.kind === 'dispatcher-kill' ? 'kill' : 'term', atMs: Date.now(), slot: f.slot });
        await this.h.kill(proc, f.kind === 'dispatcher-kill' ? 'SIGKILL' : 'SIGTERM');
        this.note(`dispatcher ${f.slot} exited (code ${String(proc.child.exitCode)}, signal ${String(proc.child.signalCode)})`);
        await sleep(f.restartAfterMs);
        await this.startSlot(f.slot);
        this.note(`dispatcher ${f.slot} restarted and ready`);
        return;
      }
      case 'endpoint': {
        const ep = this.endpoints[f.endpoint];
        if (ep === undefined) throw new Error(`no endpoint ${f.endpoint}`);
        await ep.set(endpointMode(f.fault));
        await sleep(f.durationMs);
        await ep.set({ kind: 'ok' });
        this.note(`endpoint ${f.endpoint} answers 200 again`);
        return;
      }
      case 'redis-flush': {
        const redis = new Redis(this.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
        try {
          await redis.connect();
          const keys = await redis.dbsize();
          await redis.flushall();
          this.note(`Redis wiped (${keys} keys)`);
        } finally {
          redis.disconnect();
        }
        return;
      }
      case 'broker-stop': {
        const startMs = Date.now();
        this.stoppedBrokers.add(f.nodeId);
        const outcome = await stopClusterNode(f.nodeId);
        this.note(`broker ${f.nodeId} stopped (${JSON.stringify(outcome)})`);
        await sleep(f.durationMs);
        await this.startBrokers();
        this.brokerStops.push({ startMs, endMs: Date.now() });
        this.note(`broker ${f.nodeId} started again`);
        return;
      }
      case 'load-burst': {
        const startMs = Date.now();
        this.loadMultiplier = f.multiplier;
        await sleep(f.durationMs);
        this.loadMultiplier = 1;
        this.bursts.push({ startMs, endMs: Date.now(), multiplier: f.multiplier });
        return;
      }
    }
  }
}
