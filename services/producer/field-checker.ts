import type { FieldIssue } from '../shared/errors.js';

interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  /** Upper bound that the value must stay below, e.g. 360 for a heading. */
  readonly below?: number;
  readonly integer?: boolean;
  readonly optional?: boolean;
  /** Appended to the message, e.g. the unit the caller should have used. */
  readonly hint?: string;
}

/**
 * Checks the fields of one record that arrived as `unknown`, collecting an issue per bad
 * field with its full path (`gps[3].lat`) and the offending value. Optional fields may
 * be absent or null; required ones may be neither.
 */
export class FieldChecker {
  readonly issues: FieldIssue[] = [];
  private readonly record: Readonly<Record<string, unknown>>;

  constructor(value: unknown, private readonly path: string) {
    const isRecord = typeof value === 'object' && value !== null && !Array.isArray(value);
    this.record = isRecord ? (value as Record<string, unknown>) : {};
    if (!isRecord) this.issues.push({ field: path, message: `must be an object, got ${describe(value)}` });
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }

  /** True when a record was given and `name` holds a value (not absent, not null). */
  has(name: string): boolean {
    const v = this.record[name];
    return v !== undefined && v !== null;
  }

  value(name: string): unknown {
    return this.record[name];
  }

  fail(name: string, message: string): void {
    this.issues.push({ field: `${this.path}.${name}`, message: `${message}, got ${describe(this.record[name])}` });
  }

  /** Flags any field the schema does not have, so a misspelt optional field is not silently dropped. */
  onlyFields(allowed: ReadonlySet<string>): void {
    for (const name of Object.keys(this.record)) {
      if (!allowed.has(name)) this.issues.push({ field: `${this.path}.${name}`, message: 'is not a field of this record' });
    }
  }

  id(name: string, options: { optional?: boolean } = {}): void {
    if (this.skip(name, options.optional)) return;
    const v = this.record[name];
    if (typeof v !== 'string') return this.fail(name, 'must be a string');
    if (v.trim() === '') return this.fail(name, 'must not be empty');
    if (v.length > 128) return this.fail(name, 'must be at most 128 characters');
  }

  text(name: string, options: { optional?: boolean; maxLength?: number } = {}): void {
    if (this.skip(name, options.optional)) return;
    const v = this.record[name];
    if (typeof v !== 'string') return this.fail(name, 'must be a string');
    const max = options.maxLength ?? 4_096;
    if (v.length > max) this.fail(name, `must be at most ${max} characters`);
  }

  number(name: string, rule: NumberRule = {}): void {
    if (this.skip(name, rule.optional)) return;
    const v = this.record[name];
    const hint = rule.hint === undefined ? '' : ` (${rule.hint})`;
    if (typeof v !== 'number') return this.fail(name, `must be a number${hint}`);
    if (!Number.isFinite(v)) return this.fail(name, `must be a finite number${hint}`);
    if (rule.integer === true && !Number.isSafeInteger(v)) return this.fail(name, `must be an integer${hint}`);
    if (rule.min !== undefined && v < rule.min) return this.fail(name, `must be >= ${rule.min}${hint}`);
    if (rule.max !== undefined && v > rule.max) return this.fail(name, `must be <= ${rule.max}${hint}`);
    if (rule.below !== undefined && v >= rule.below) return this.fail(name, `must be < ${rule.below}${hint}`);
  }

  boolean(name: string): void {
    if (this.skip(name, false)) return;
    if (typeof this.record[name] !== 'boolean') this.fail(name, 'must be true or false');
  }

  oneOf(name: string, allowed: readonly string[], options: { optional?: boolean } = {}): void {
    if (this.skip(name, options.optional)) return;
    const v = this.record[name];
    if (typeof v !== 'string' || !allowed.includes(v)) this.fail(name, `must be one of ${allowed.join(', ')}`);
  }

  stringList(name: string, options: { optional?: boolean; maxItems?: number } = {}): void {
    if (this.skip(name, options.optional)) return;
    const v = this.record[name];
    if (!Array.isArray(v) || !v.every((item) => typeof item === 'string')) return this.fail(name, 'must be a list of strings');
    const max = options.maxItems ?? 100;
    if (v.length > max) this.fail(name, `must have at most ${max} items`);
  }

  /** Returns true when there is nothing more to check: an absent optional value, or an absent required one (reported). */
  private skip(name: string, optional: boolean | undefined): boolean {
    if (this.has(name)) return false;
    if (optional !== true) this.fail(name, 'is required');
    return true;
  }
}

/** A short, safe rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a ${typeof value}`;
}
