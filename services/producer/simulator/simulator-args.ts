import { parseArgs } from 'node:util';

export interface SimulatorArgs {
  readonly vehicles: number;
  /** GPS points each vehicle reports per wall-clock second. */
  readonly rate: number;
  /** Wall-clock seconds of data to publish; null = until SIGINT/SIGTERM. */
  readonly durationS: number | null;
  readonly seed: number;
  readonly accounts: number;
  /** Simulated seconds per wall-clock second (1 = real time). */
  readonly speedup: number;
  /** Simulated time of the first point, epoch ms. */
  readonly startTimeMs: number;
  /** false (`--derived-ignition`): devices send no ignition_on/off events; the deriver derives them from the GPS ignition flag. */
  readonly deviceIgnitionEvents: boolean;
  /** Diagnostic trouble codes each vehicle raises per hour of simulated time, on average. */
  readonly dtcPerHour: number;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly args: SimulatorArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

/** A trouble code now and then: 0.3 per vehicle and hour. */
export const defaultDtcPerHour = 0.3;

export const usage = `Usage: npm run simulate -- --vehicles 200 --rate 5 --duration 60 [options]

  --vehicles N     simulated vehicles (1..100000, default 200)
  --rate R         GPS points per vehicle per second of wall-clock time (0 < R <= 50, default 1)
  --duration S     seconds of data to publish; omit to run until Ctrl-C
  --seed N         PRNG seed (integer); the same seed and start time give the same records
  --accounts N     accounts the vehicles are spread over (default: one per 50 vehicles)
  --speedup X      simulated seconds per wall-clock second (default 1 = real time)
  --start-time T   simulated time of the first point, ISO 8601 (default: now)
  --derived-ignition
                   devices send no ignition_on/ignition_off events of their own: the
                   deriver (npm run deriver) derives them from the points' ignition flag
  --dtc-per-hour N trouble codes each vehicle raises per simulated hour (0..3600, default 0.3:
                   a short run of a small fleet has none; the demo uses 120)`;

const options = {
  vehicles: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' },
  accounts: { type: 'string' }, speedup: { type: 'string' }, 'start-time': { type: 'string' }, 'derived-ignition': { type: 'boolean' },
  'dtc-per-hour': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses and checks the command line; every problem is reported at once. */
export function parseSimulatorArgs(argv: readonly string[], defaults: { nowMs: number; seed: number }): ParsedArgs {
  let values: Partial<Record<keyof typeof options, string | boolean>>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    return { kind: 'invalid', problems: [err instanceof Error ? err.message : String(err)] };
  }
  if (values.help === true) return { kind: 'help' };
  const problems: string[] = [];
  const num = (name: keyof typeof options, fallback: number, check: (n: number) => boolean, rule: string): number => {
    const raw = values[name];
    if (typeof raw !== 'string') return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) problems.push(`--${name} must be ${rule}, got "${raw}"`);
    return n;
  };
  const vehicles = num('vehicles', 200, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'an integer from 1 to 100000');
  const rate = num('rate', 1, (n) => n > 0 && n <= 50, 'a number above 0 and at most 50');
  const duration = num('duration', Number.NaN, (n) => n > 0 && n <= 7 * 86_400, 'a number of seconds above 0 (at most a week)');
  const seed = num('seed', defaults.seed, (n) => Number.isSafeInteger(n), 'an integer');
  const accounts = num('accounts', Math.max(1, Math.ceil(vehicles / 50)), (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
  const speedup = num('speedup', 1, (n) => n > 0 && n <= 3_600, 'a number above 0 and at most 3600');
  const dtcPerHour = num('dtc-per-hour', defaultDtcPerHour, (n) => n >= 0 && n <= 3_600, 'a number from 0 to 3600');
  if (Number.isInteger(accounts) && Number.isInteger(vehicles) && accounts > vehicles) {
    problems.push(`--accounts (${accounts}) must not exceed --vehicles (${vehicles})`);
  }
  const startRaw = values['start-time'];
  const startTimeMs = typeof startRaw === 'string' ? Date.parse(startRaw) : defaults.nowMs;
  if (Number.isNaN(startTimeMs)) problems.push(`--start-time must be an ISO 8601 time, got "${String(startRaw)}"`);
  if (problems.length > 0) return { kind: 'invalid', problems };
  const durationS = Number.isNaN(duration) ? null : duration;
  const deviceIgnitionEvents = values['derived-ignition'] !== true;
  return { kind: 'run', args: { vehicles, rate, durationS, seed, accounts, speedup, startTimeMs, deviceIgnitionEvents, dtcPerHour } };
}
