import { parseArgs } from 'node:util';

export interface ChaosArgs {
  readonly seed: number;
  readonly minutes: number;
  readonly cluster: boolean;
  readonly vehicles: number;
  readonly drainSeconds: number;
  /** Only these fault kinds of the seed's timeline are injected (the others are dropped, times unchanged); null: all. */
  readonly faults: readonly FaultKind[] | null;
  /** Failover latency is printed but not counted as a violation (CI on a shared machine); loss, order, ids and signatures always count. */
  readonly latencyAdvisory: boolean;
}

export const faultKinds = ['dispatcher-kill', 'dispatcher-term', 'endpoint', 'redis-flush', 'broker-stop', 'load-burst'] as const;
export type FaultKind = (typeof faultKinds)[number];

export const chaosUsage = 'usage: npm run chaos -- --seed N [--minutes M (fault phase, default 1)] [--cluster] [--vehicles 30] [--drain-seconds 90] [--faults kind,kind (of ' + faultKinds.join(', ') + ')] [--latency-advisory]';

/** Parses the runner's arguments; every problem is reported at once. */
export function parseChaosArgs(argv: readonly string[]): { kind: 'ok'; args: ChaosArgs } | { kind: 'invalid'; problems: string[] } {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: { seed: { type: 'string' }, minutes: { type: 'string' }, cluster: { type: 'boolean' }, vehicles: { type: 'string' }, 'drain-seconds': { type: 'string' }, faults: { type: 'string' }, 'latency-advisory': { type: 'boolean' } },
    }).values;
  } catch (err) {
    return { kind: 'invalid', problems: [err instanceof Error ? err.message : String(err)] };
  }
  const problems: string[] = [];
  const num = (name: string, fallback: number | undefined, ok: (n: number) => boolean, rule: string): number => {
    const raw = values[name];
    if (raw === undefined) {
      if (fallback === undefined) problems.push(`--${name} is required (${rule})`);
      return fallback ?? 0;
    }
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !ok(n)) problems.push(`--${name} must be ${rule}, got "${String(raw)}"`);
    return n;
  };
  const args: ChaosArgs = {
    seed: num('seed', undefined, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff, 'an integer from 0 to 4294967295'),
    minutes: num('minutes', 1, (n) => Number.isFinite(n) && n >= 0.25 && n <= 120, 'a number of minutes from 0.25 to 120'),
    cluster: values.cluster === true,
    vehicles: num('vehicles', 30, (n) => Number.isInteger(n) && n >= 1 && n <= 2_000, 'an integer from 1 to 2000'),
    drainSeconds: num('drain-seconds', 90, (n) => Number.isFinite(n) && n >= 10 && n <= 3_600, 'a number of seconds from 10 to 3600'),
    faults: null,
    latencyAdvisory: values['latency-advisory'] === true,
  };
  const rawFaults = typeof values.faults === 'string' ? values.faults.split(',').map((f) => f.trim()).filter((f) => f !== '') : null;
  const unknown = (rawFaults ?? []).filter((f) => !(faultKinds as readonly string[]).includes(f));
  if (unknown.length > 0 || rawFaults?.length === 0) problems.push(`--faults must list some of ${faultKinds.join(', ')}; got "${String(values.faults)}"`);
  return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'ok', args: { ...args, faults: rawFaults as FaultKind[] | null } };
}
