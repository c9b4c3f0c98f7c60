import { SeededRandom } from './seeded-random.js';

/** What an endpoint does while faulty. */
export type EndpointFault =
  | { readonly kind: 'status'; readonly status: 500 | 502 | 503 }
  | { readonly kind: 'hang' }
  | { readonly kind: 'throttle'; readonly retryAfterS: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'gone' };

export type PlannedFault =
  | { readonly kind: 'dispatcher-kill'; readonly atMs: number; readonly slot: number; readonly restartAfterMs: number }
  | { readonly kind: 'dispatcher-term'; readonly atMs: number; readonly slot: number; readonly restartAfterMs: number }
  | { readonly kind: 'endpoint'; readonly atMs: number; readonly endpoint: number; readonly durationMs: number; readonly fault: EndpointFault }
  | { readonly kind: 'redis-flush'; readonly atMs: number }
  | { readonly kind: 'broker-stop'; readonly atMs: number; readonly nodeId: 1 | 2 | 3; readonly durationMs: number }
  | { readonly kind: 'load-burst'; readonly atMs: number; readonly durationMs: number; readonly multiplier: number };

export interface FaultableEndpoint {
  readonly index: number;
  readonly kind: 'gps' | 'dtc' | 'event';
}

export interface TimelineOptions {
  readonly seed: number;
  /** Faults start within [0, faultPhaseMs) and every one has ended by faultPhaseMs. */
  readonly faultPhaseMs: number;
  readonly dispatcherSlots: number;
  /** Endpoints faults may hit (the others stay healthy: the latency figures are theirs). */
  readonly endpoints: readonly FaultableEndpoint[];
  /** Broker stops only in 3-broker cluster mode. */
  readonly cluster: boolean;
}

const warmUpMs = 6_000;
/** Dispatcher faults this far apart, so each one's latency window is its own and the group settles. */
const dispatcherSpacingMs = 15_000;

/**
 * One seed → one fault timeline (pure). Per minute of fault phase: one SIGKILL and one
 * SIGTERM of a dispatcher (random order, instance, time and restart delay), the first
 * SIGKILL overlapped by a failing GPS endpoint (the subscription is parked when its owner
 * dies); between them a random mix of endpoint faults (5xx, hang, 429 + Retry-After,
 * connection refused, 410 at most once), Redis FLUSHALLs, load bursts and, in cluster
 * mode, a broker stopped and started. One fault per endpoint at a time.
 */
export function planTimeline(o: TimelineOptions): PlannedFault[] {
  const rnd = new SeededRandom(o.seed);
  const endMs = o.faultPhaseMs;
  const out: PlannedFault[] = [];
  const busyUntil = new Map<number, number>();

  const rounds = Math.max(1, Math.round(endMs / 60_000));
  const kinds: ('dispatcher-kill' | 'dispatcher-term')[] = [];
  for (let i = 0; i < rounds; i++) kinds.push(...(rnd.chance(0.5) ? ['dispatcher-kill', 'dispatcher-term'] as const : ['dispatcher-term', 'dispatcher-kill'] as const));
  const segmentMs = Math.max(dispatcherSpacingMs, (endMs - warmUpMs - 8_000) / kinds.length);
  kinds.forEach((kind, i) => {
    const atMs = Math.round(warmUpMs + 4_000 + i * segmentMs + rnd.next() * Math.max(0, segmentMs - dispatcherSpacingMs));
    if (atMs >= endMs - 4_000) return;
    out.push({ kind, atMs, slot: rnd.int(0, o.dispatcherSlots - 1), restartAfterMs: rnd.int(0, 3_000) });
  });

  const firstKill = out.find((f) => f.kind === 'dispatcher-kill');
  const gps = o.endpoints.filter((e) => e.kind === 'gps');
  if (firstKill !== undefined && gps.length > 0) {
    const target = rnd.pick(gps).index;
    const atMs = Math.max(warmUpMs, firstKill.atMs - rnd.int(3_000, 8_000));
    const durationMs = Math.min(endMs - atMs - 1_000, firstKill.atMs - atMs + rnd.int(3_000, 8_000));
    const fault: EndpointFault = rnd.chance(0.5) ? { kind: 'status', status: 503 } : { kind: 'throttle', retryAfterS: rnd.int(1, 3) };
    out.push({ kind: 'endpoint', atMs, endpoint: target, durationMs, fault });
    busyUntil.set(target, atMs + durationMs);
  }

  let goneUsed = false;
  let flushes = 0;
  let brokerFreeAt = 0;
  for (let t = warmUpMs / 2 + rnd.int(0, 3_000); t < endMs - 4_000; t += rnd.int(1_500, 5_000)) {
    const choice = rnd.weighted({ endpoint: 70, redis: 8, burst: 12, broker: o.cluster ? 10 : 0 });
    if (choice === 'redis') {
      if (flushes < 2) out.push({ kind: 'redis-flush', atMs: t });
      flushes++;
    } else if (choice === 'burst') {
      out.push({ kind: 'load-burst', atMs: t, durationMs: rnd.int(2_000, 5_000), multiplier: rnd.int(3, 8) });
    } else if (choice === 'broker') {
      if (t < brokerFreeAt) continue;
      const durationMs = Math.min(rnd.int(5_000, 12_000), endMs - t - 1_000);
      out.push({ kind: 'broker-stop', atMs: t, nodeId: rnd.pick([1, 2, 3] as const), durationMs });
      brokerFreeAt = t + durationMs + 10_000;
    } else {
      const free = o.endpoints.filter((e) => (busyUntil.get(e.index) ?? 0) + 500 < t);
      if (free.length === 0) continue;
      const target = rnd.pick(free).index;
      const kind = rnd.weighted({ status: 30, hang: 15, throttle: 20, refused: 20, gone: goneUsed ? 0 : 5 });
      const fault: EndpointFault = kind === 'status' ? { kind, status: rnd.pick([500, 502, 503] as const) }
        : kind === 'throttle' ? { kind, retryAfterS: rnd.int(1, 3) } : { kind };
      if (kind === 'gone') goneUsed = true;
      const durationMs = Math.min(rnd.int(3_000, kind === 'hang' ? 10_000 : 15_000), endMs - t - 1_000);
      out.push({ kind: 'endpoint', atMs: t, endpoint: target, durationMs, fault });
      busyUntil.set(target, t + durationMs);
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** `endpoint 3 503 for 7.2 s`: one line per fault for the report. */
export function describeFault(f: PlannedFault): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  switch (f.kind) {
    case 'dispatcher-kill':
      return `SIGKILL dispatcher ${f.slot}, restart after ${s(f.restartAfterMs)}`;
    case 'dispatcher-term':
      return `SIGTERM dispatcher ${f.slot}, restart after ${s(f.restartAfterMs)}`;
    case 'endpoint': {
      const what = f.fault.kind === 'status' ? String(f.fault.status) : f.fault.kind === 'throttle' ? `429 Retry-After ${f.fault.retryAfterS}`
        : f.fault.kind === 'gone' ? '410' : f.fault.kind;
      return `endpoint ${f.endpoint}: ${what} for ${s(f.durationMs)}`;
    }
    case 'redis-flush':
      return 'Redis FLUSHALL';
    case 'broker-stop':
      return `broker ${f.nodeId} stopped for ${s(f.durationMs)}`;
    case 'load-burst':
      return `load burst x${f.multiplier} for ${s(f.durationMs)}`;
  }
}
