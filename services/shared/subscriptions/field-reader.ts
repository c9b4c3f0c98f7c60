import type { FieldIssue } from '../errors.js';

/**
 * Decodes one JSON object of unknown shape, collecting issues with field paths
 * (`auth.tokenValue`, `source.eventTypes[2].thresholdKph`) instead of throwing, so a
 * caller reports every problem at once. Fields not read are reported as unknown by
 * `rejectUnknown()`.
 */
export class FieldReader {
  private readonly seen = new Set<string>();

  private constructor(
    private readonly obj: Readonly<Record<string, unknown>>,
    private readonly path: string,
    private readonly issues: FieldIssue[],
  ) {}

  /** Returns null (and records an issue) when `value` is not a plain object. */
  static of(value: unknown, path: string, issues: FieldIssue[]): FieldReader | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ field: path || '(body)', message: 'must be a JSON object' });
      return null;
    }
    return new FieldReader(value as Record<string, unknown>, path, issues);
  }

  fieldPath(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, name) && this.obj[name] !== undefined;
  }

  /** The raw value, marked as known. */
  raw(name: string): unknown {
    this.seen.add(name);
    return this.has(name) ? this.obj[name] : undefined;
  }

  issue(name: string, message: string): void {
    this.issues.push({ field: this.fieldPath(name), message });
  }

  string(name: string, opts: { required: boolean; min?: number; max: number; pattern?: RegExp; patternHint?: string }): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) {
      if (opts.required) this.issue(name, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') return this.wrongType(name, 'a string', value);
    if (value.length < (opts.min ?? 1)) return this.fail(name, `must have at least ${opts.min ?? 1} character(s)`);
    if (value.length > opts.max) return this.fail(name, `must have at most ${opts.max} characters`);
    if (opts.pattern && !opts.pattern.test(value)) return this.fail(name, opts.patternHint ?? `must match ${opts.pattern.source}`);
    return value;
  }

  int(name: string, opts: { required: boolean; min: number; max: number }): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) {
      if (opts.required) this.issue(name, 'is required');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.wrongType(name, 'an integer', value);
    if (value < opts.min || value > opts.max) return this.fail(name, `must be between ${opts.min} and ${opts.max}, got ${value}`);
    return value;
  }

  bool(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') return this.wrongType(name, 'a boolean', value);
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], required: boolean): T | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) {
      if (required) this.issue(name, `is required (one of: ${allowed.join(', ')})`);
      return undefined;
    }
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      return this.fail(name, `must be one of: ${allowed.join(', ')}`);
    }
    return value as T;
  }

  /** A list of strings, each checked by `pattern`; issues name the index. */
  stringList(name: string, opts: { required: boolean; minItems: number; maxItems: number; maxLength: number; pattern: RegExp; hint: string }): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) {
      if (opts.required) this.issue(name, 'is required');
      return undefined;
    }
    if (!Array.isArray(value)) return this.wrongType(name, 'an array', value);
    if (value.length < opts.minItems) return this.fail(name, `must have at least ${opts.minItems} item(s)`);
    if (value.length > opts.maxItems) return this.fail(name, `must have at most ${opts.maxItems} items`);
    const out: string[] = [];
    value.forEach((item: unknown, i) => {
      if (typeof item !== 'string' || item.length > opts.maxLength || !opts.pattern.test(item)) {
        this.issue(`${name}[${i}]`, opts.hint);
      } else out.push(item);
    });
    if (new Set(out).size !== out.length) return this.fail(name, 'must not contain duplicates');
    return out.length === value.length ? out : undefined;
  }

  /** Reports every field that no reader method asked for. */
  rejectUnknown(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key)) this.issues.push({ field: this.fieldPath(key), message: 'unknown field' });
    }
  }

  private wrongType(name: string, expected: string, value: unknown): undefined {
    const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return this.fail(name, `must be ${expected}, got ${got}`);
  }

  private fail(name: string, message: string): undefined {
    this.issue(name, message);
    return undefined;
  }
}
