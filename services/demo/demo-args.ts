import { ValidationError } from '../shared/errors.js';

export interface DemoArgs {
  readonly vehicles: number;
  readonly rate: number;
  readonly durationS: number;
  readonly seed: number;
}

const defaults: DemoArgs = { vehicles: 50, rate: 1, durationS: 60, seed: 42 };
const flags = { '--vehicles': 'vehicles', '--rate': 'rate', '--duration': 'durationS', '--seed': 'seed' } as const;

/** `--vehicles N --rate R --duration S --seed N`, all optional. */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const out: Record<keyof DemoArgs, number> = { ...defaults };
  const issues = [];
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    const key = (flags as Record<string, keyof DemoArgs>)[flag];
    const value = Number(argv[i + 1]);
    if (key === undefined) issues.push({ field: flag, message: `unknown argument (use ${Object.keys(flags).join(', ')})` });
    else if (!Number.isFinite(value) || value <= 0) issues.push({ field: flag, message: `must be a positive number, got "${argv[i + 1]}"` });
    else out[key] = value;
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return out;
}
