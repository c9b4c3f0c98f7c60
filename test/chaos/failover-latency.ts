/** A first copy at a healthy (never faulted) endpoint: record time → receipt. */
export interface LatencySample {
  readonly recordTimeMs: number;
  readonly receivedAt: number;
  /** The subscription's batch window: a graceful handover may add nothing beyond it + 2 s. */
  readonly maxWaitMs: number;
}

/** A load burst as it ran (epoch ms): the fleet published `multiplier` times its rate. */
export interface LoadBurst {
  readonly startMs: number;
  readonly endMs: number;
  readonly multiplier: number;
}

/** A broker of the 3-broker cluster stopped (epoch ms, from the stop to its restart). */
export interface BrokerStop {
  readonly startMs: number;
  readonly endMs: number;
}

export interface DispatcherFaultWindow {
  readonly kind: 'kill' | 'term';
  readonly atMs: number;
  readonly label: string;
}

export interface LatencyFigure {
  readonly label: string;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** What is judged: p99 of the latency (SIGKILL) or of the latency beyond the batch window (SIGTERM). */
  readonly judgedMs: number;
  readonly limitMs: number;
  readonly limit: string;
  readonly violation: boolean;
  /**
   * Not judged: the machine was too slow for the figure to mean anything — the calm p99
   * (items recorded away from every dispatcher fault) was already over half the limit.
   */
  readonly overloaded: boolean;
  /**
   * Not judged either: a load burst overlapped the window. The burst's own queueing (several
   * times the fleet's rate on 2 cores) is in every latency of it, whatever the failover did.
   */
  readonly loadBurst: boolean;
  /**
   * Not judged either: a broker stop overlapped the window. Its partitions' leaders move (a
   * controlled shutdown takes seconds here), which every latency of the window also waits on.
   */
  readonly brokerStop: boolean;
}

export const killP99LimitMs = 10_000;
export const gracefulExcessLimitMs = 2_000;
/** Items recorded from just before a fault until it should have been absorbed. */
const killWindowMs = { before: 1_000, after: 12_000 };
const termWindowMs = { before: 1_000, after: 6_000 };

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function figure(label: string, latencies: number[], judged: number[], limitMs: number, limit: string, calmJudgedMs = 0, loadBurst = false, brokerStop = false): LatencyFigure {
  latencies.sort((a, b) => a - b);
  judged.sort((a, b) => a - b);
  const judgedMs = percentile(judged, 99);
  const overloaded = calmJudgedMs > limitMs / 2;
  return {
    label, samples: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    judgedMs, limitMs, limit, violation: !overloaded && !loadBurst && !brokerStop && latencies.length > 0 && judgedMs > limitMs, overloaded, loadBurst, brokerStop,
  };
}

/**
 * Failover latency (pure): for each SIGKILL, p99 of record → receipt over the items
 * recorded around it must stay ≤ 10 s; for each SIGTERM, p99 of the latency beyond the
 * subscription's batch window must stay ≤ 2 s. The first rows are the whole run and the
 * calm part of it (items recorded away from every dispatcher fault), unjudged. A window
 * is not judged (`overloaded`) when the calm p99, measured the same way, is already over
 * half its limit: the machine, not the failover, would decide the verdict. Nor is one that
 * a load burst overlaps (`loadBurst`), or a broker stop (`brokerStop`). Calm items are away
 * from broker stops too.
 */
export function failoverFigures(samples: readonly LatencySample[], windows: readonly DispatcherFaultWindow[], bursts: readonly LoadBurst[] = [], brokerStops: readonly BrokerStop[] = []): LatencyFigure[] {
  const all = samples.map((s) => s.receivedAt - s.recordTimeMs);
  const near = (s: LatencySample): boolean => windows.some((w) => s.recordTimeMs >= w.atMs - 2 * killWindowMs.before && s.recordTimeMs <= w.atMs + killWindowMs.after)
    || brokerStops.some((b) => s.recordTimeMs >= b.startMs - 2 * killWindowMs.before && s.recordTimeMs <= b.endMs + killWindowMs.after);
  const calm = samples.filter((s) => !near(s));
  const calmLatencies = calm.map((s) => s.receivedAt - s.recordTimeMs);
  const calmKill = percentile([...calmLatencies].sort((a, b) => a - b), 99);
  const calmTerm = percentile(calm.map((s) => s.receivedAt - s.recordTimeMs - s.maxWaitMs).sort((a, b) => a - b), 99);
  const unjudged = (label: string, latencies: number[]): LatencyFigure => ({ ...figure(label, latencies, [...latencies], Number.POSITIVE_INFINITY, '-'), violation: false });
  const rows: LatencyFigure[] = [unjudged('whole run (healthy endpoints)', all), unjudged(`calm (away from dispatcher faults${brokerStops.length > 0 ? ' and broker stops' : ''})`, calmLatencies)];
  for (const w of windows) {
    const span = w.kind === 'kill' ? killWindowMs : termWindowMs;
    const inWindow = samples.filter((s) => s.recordTimeMs >= w.atMs - span.before && s.recordTimeMs <= w.atMs + span.after);
    const latencies = inWindow.map((s) => s.receivedAt - s.recordTimeMs);
    const overlaps = (b: { readonly startMs: number; readonly endMs: number }): boolean => b.startMs <= w.atMs + span.after && b.endMs >= w.atMs - span.before;
    const burst = bursts.some(overlaps);
    const brokerStop = brokerStops.some(overlaps);
    rows.push(w.kind === 'kill'
      ? figure(w.label, latencies, [...latencies], killP99LimitMs, 'p99 <= 10 s', Number.isNaN(calmKill) ? 0 : calmKill, burst, brokerStop)
      : figure(w.label, latencies, inWindow.map((s) => s.receivedAt - s.recordTimeMs - s.maxWaitMs), gracefulExcessLimitMs, 'p99 <= window + 2 s', Number.isNaN(calmTerm) ? 0 : calmTerm, burst, brokerStop));
  }
  return rows;
}

/**
 * The worst latency per second of record time around a SIGKILL (from 1 s before it to 12 s
 * after), as `+s:latency` pairs: shows which phase of a failover the items waited on
 * (detection, the new assignment, a later rebalance when the restarted instance joins).
 */
export function killProfile(samples: readonly LatencySample[], atMs: number): string {
  const worst = new Map<number, number>();
  for (const s of samples) {
    const second = Math.floor((s.recordTimeMs - atMs) / 1_000);
    if (second < -killWindowMs.before / 1_000 || second >= killWindowMs.after / 1_000) continue;
    worst.set(second, Math.max(worst.get(second) ?? 0, s.receivedAt - s.recordTimeMs));
  }
  return [...worst].sort((a, b) => a[0] - b[0]).map(([second, ms]) => `${second >= 0 ? '+' : ''}${second}:${(ms / 1_000).toFixed(1)}`).join(' ');
}
