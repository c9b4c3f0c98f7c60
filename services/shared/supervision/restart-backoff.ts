export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The delay before restart number `attempt` (1-based) of a crashed consumer: doubling
 * from `initialMs`, capped at `maxMs`, with ±20 % jitter from `random` so that several
 * instances crashing on the same record do not rejoin their group in lockstep. Pure.
 */
export function restartDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const jitter = 0.8 + 0.4 * random();
  return Math.max(0, Math.round(Math.min(policy.maxMs, base * jitter)));
}
