import { ConfigError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values from an environment object, collecting every problem so that
 * `finish()` reports them all at once with the variable names. Services build their
 * `loadConfig(env)` on it; defaults live in the service's config object, not here.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(
    private readonly env: Env,
    private readonly prefix: string,
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[this.prefix + name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  requiredString(name: string): string {
    const value = this.raw(name);
    if (value === undefined) this.problems.push(`${this.prefix}${name} is required`);
    return value ?? '';
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) {
      this.problems.push(`${this.prefix}${name} must be an integer, got "${value}"`);
      return fallback;
    }
    if (range.min !== undefined && parsed < range.min) {
      this.problems.push(`${this.prefix}${name} must be >= ${range.min}, got ${parsed}`);
    }
    if (range.max !== undefined && parsed > range.max) {
      this.problems.push(`${this.prefix}${name} must be <= ${range.max}, got ${parsed}`);
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    this.problems.push(`${this.prefix}${name} must be true or false, got "${value}"`);
    return fallback;
  }

  /** One of `allowed` (an `as const` list); anything else is a problem naming the variable and the choices. */
  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: NoInfer<T>): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (isOneOf(allowed, value)) return value;
    this.problems.push(`${this.prefix}${name} must be one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return [...fallback];
    return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  /** Records a problem found by the caller's own cross-field checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError listing every problem, if any. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

function isOneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}
