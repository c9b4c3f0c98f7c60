import type { FieldIssue } from './errors.js';

interface Presence {
  /** When true (the default), an absent or null value is an issue; when false it reads as `undefined`. */
  readonly required?: boolean;
}

export interface StringRule extends Presence {
  /** Default 1: an empty string is not a value. */
  readonly min?: number;
  readonly max: number;
  readonly pattern?: RegExp;
  /** The message when `pattern` does not match, e.g. 'must be a valid HTTP header name'. */
  readonly patternHint?: string;
}

export interface NumberRule extends Presence {
  /** A safe integer; also excludes NaN and ±Infinity, which are never accepted. */
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** An exclusive upper bound, e.g. 360 for a heading in degrees. */
  readonly below?: number;
  /** Appended in parentheses, e.g. the unit the caller should have used. */
  readonly hint?: string;
}

export interface ListRule extends Presence {
  readonly minItems?: number;
  readonly maxItems: number;
  /** Checks each item, reporting failures at `name[i]`; without it any string is accepted. */
  readonly items?: { readonly maxLength: number; readonly pattern: RegExp; readonly hint: string };
  readonly unique?: boolean;
}

export interface ReaderOptions {
  /** Fields whose content never appears in a message, only its kind: secrets, URLs that may carry credentials. */
  readonly redact?: readonly string[];
  /** When true, null is refused wherever a value is read (`raw` excepted, whose caller decides); by default null reads as absent. */
  readonly rejectNull?: boolean;
  /** When false, no string value is quoted in a message, only numbers, booleans and kinds (an HTTP API that never echoes input). */
  readonly quoteStrings?: boolean;
}

/**
 * Decodes one object that arrived as `unknown` (an HTTP body, a record handed to the
 * producer SDK), returning typed values and collecting an issue per bad field instead of
 * throwing, so a caller reports every problem at once. Issues name the full path
 * (`auth.tokenValue`, `gps[3].lat`) and the offending value (`must be a finite number
 * (degrees), got NaN`); a redacted field shows only its kind (`got a number`). Absent and
 * null read alike. Fields that no method read are reported by `rejectUnknown()`.
 */
export class FieldReader {
  // An array, not a Set: it is cheaper for the few dozen fields of a record, and the producer builds one reader per record.
  private readonly seen: string[] = [];

  private constructor(
    private readonly obj: Readonly<Record<string, unknown>>,
    private readonly path: string,
    private readonly issues: FieldIssue[],
    private readonly redacted: readonly string[],
    private readonly rejectNull: boolean,
    private readonly quoteStrings: boolean,
  ) {}

  /**
   * A reader over the top-level object of a record value (JSON text), or why there is
   * none: `not JSON` or `not an object`. Record decoders build on it; see `issuesText`.
   */
  static ofJson(text: string, issues: FieldIssue[], options: ReaderOptions = {}): FieldReader | 'not JSON' | 'not an object' {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return 'not JSON';
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
    return FieldReader.of(value, '', issues, options) ?? 'not an object';
  }

  /** Returns null (and records an issue) when `value` is not a plain object. */
  static of(value: unknown, path: string, issues: FieldIssue[], options: ReaderOptions = {}): FieldReader | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ field: path || '(body)', message: `must be an object, got ${describeValue(value)}` });
      return null;
    }
    return new FieldReader(value as Record<string, unknown>, path, issues, options.redact ?? [], options.rejectNull === true, options.quoteStrings !== false);
  }

  fieldPath(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  /** The object's own field names (a map keyed by data, such as addresses). */
  keys(): string[] {
    return Object.keys(this.obj);
  }

  /** True when `name` holds a value: neither absent nor null. */
  has(name: string): boolean {
    const value = this.peek(name);
    return value !== undefined && value !== null;
  }

  /** The value as sent (null included), marked as read. */
  raw(name: string): unknown {
    if (!this.seen.includes(name)) this.seen.push(name);
    return this.peek(name);
  }

  /** Records an issue for `name`, followed by the field's value (only its kind when redacted). */
  fail(name: string, message: string): undefined {
    return this.report(name, name, message, this.peek(name));
  }

  /**
   * A field that must be present and may be null: null reads as null, anything else goes
   * through `read` (which reports an absent field as required). The `rejectNull` option
   * does not apply: the caller said null is a value here.
   */
  nullable<T>(name: string, read: (name: string) => T | undefined): T | null | undefined {
    if (this.peek(name) !== null) return read(name);
    this.raw(name);
    return null;
  }

  /** A nested object, read by `read` with a reader whose issues carry the full path. */
  object<T>(name: string, read: (r: FieldReader) => T | undefined, rule: Presence = {}): T | undefined {
    const value = this.take(name, rule.required);
    if (value === undefined) return undefined;
    const nested = FieldReader.of(value, this.fieldPath(name), this.issues, { redact: this.redacted, rejectNull: this.rejectNull, quoteStrings: this.quoteStrings });
    return nested === null ? undefined : read(nested);
  }

  /** A list whose items `read` decodes one by one (at `name[i]`); undefined unless every item decoded. */
  list<T>(name: string, rule: { readonly minItems?: number; readonly maxItems: number } & Presence, read: (item: unknown, path: string) => T | undefined): T[] | undefined {
    const value = this.take(name, rule.required);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.fail(name, 'must be an array');
    const minItems = rule.minItems ?? 0;
    if (value.length < minItems) return this.fail(name, minItems === 1 ? 'must be a non-empty list' : `must have at least ${minItems} items`);
    if (value.length > rule.maxItems) return this.fail(name, `must have at most ${rule.maxItems} items`);
    const out: T[] = [];
    value.forEach((item, i) => {
      const decoded = read(item, this.fieldPath(`${name}[${i}]`));
      if (decoded !== undefined) out.push(decoded);
    });
    return out.length === value.length ? out : undefined;
  }

  /** A list of objects, each read by `read` with a reader at `name[i]`; undefined unless every item decoded. */
  objectList<T>(name: string, rule: { readonly minItems?: number; readonly maxItems: number } & Presence, read: (r: FieldReader) => T | undefined): T[] | undefined {
    return this.list(name, rule, (item, path) => {
      const nested = FieldReader.of(item, path, this.issues, { redact: this.redacted, rejectNull: this.rejectNull, quoteStrings: this.quoteStrings });
      return nested === null ? undefined : read(nested);
    });
  }

  string(name: string, rule: StringRule): string | undefined {
    const value = this.take(name, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return this.fail(name, 'must be a string');
    const min = rule.min ?? 1;
    // Lengths count code points (as JSON Schema does); `.length` counts UTF-16 units, so only a long value needs counting.
    if (value.length < min) return this.fail(name, `must have at least ${min} character(s)`);
    if (value.length > rule.max && codePoints(value) > rule.max) return this.fail(name, `must have at most ${rule.max} characters`);
    if (rule.pattern && !rule.pattern.test(value)) return this.fail(name, rule.patternHint ?? `must match ${rule.pattern.source}`);
    return value;
  }

  number(name: string, rule: NumberRule = {}): number | undefined {
    const value = this.take(name, rule.required);
    if (value === undefined) return undefined;
    const integer = rule.integer === true;
    if (typeof value !== 'number' || (integer && !Number.isSafeInteger(value))) {
      return this.fail(name, `must be ${integer ? 'an integer' : 'a number'}${hintText(rule)}`);
    }
    if (!Number.isFinite(value)) return this.fail(name, `must be a finite number${hintText(rule)}`);
    if (!inRange(value, rule)) return this.fail(name, `must be ${rangeText(rule)}${hintText(rule)}`);
    return value;
  }

  bool(name: string, rule: Presence = {}): boolean | undefined {
    const value = this.take(name, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') return this.fail(name, 'must be a boolean (true or false)');
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], rule: Presence = {}): T | undefined {
    const value = this.raw(name);
    if (value === null && this.rejectNull) return this.fail(name, `must not be null (one of ${allowed.join(', ')}, or leave the field out)`);
    if (value === undefined || value === null) {
      return rule.required === false ? undefined : this.fail(name, `is required (one of ${allowed.join(', ')})`);
    }
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) return this.fail(name, `must be one of ${allowed.join(', ')}`);
    return value as T;
  }

  stringList(name: string, rule: ListRule): string[] | undefined {
    const value = this.take(name, rule.required);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || (rule.items === undefined && !value.every((item) => typeof item === 'string'))) {
      return this.fail(name, 'must be an array of strings');
    }
    const minItems = rule.minItems ?? 0;
    if (value.length < minItems) return this.fail(name, `must have at least ${minItems} item(s)`);
    if (value.length > rule.maxItems) return this.fail(name, `must have at most ${rule.maxItems} items`);
    const items = rule.items === undefined ? (value as string[]) : this.checkItems(name, value, rule.items);
    if (items === undefined || rule.unique !== true) return items;
    const repeated = firstRepeat(items);
    return repeated === -1 ? items : this.report(`${name}[${repeated}]`, name, 'repeats an earlier item', items[repeated]);
  }

  /** Reports every field that no method read. Values are not shown: a misspelt field may hold a secret. */
  rejectUnknown(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.includes(key)) this.issues.push({ field: this.fieldPath(key), message: 'unknown field' });
    }
  }

  private checkItems(name: string, list: readonly unknown[], rule: NonNullable<ListRule['items']>): string[] | undefined {
    const out: string[] = [];
    list.forEach((item, i) => {
      if (typeof item === 'string' && item.length <= rule.maxLength && rule.pattern.test(item)) out.push(item);
      else this.report(`${name}[${i}]`, name, rule.hint, item);
    });
    return out.length === list.length ? out : undefined;
  }

  /** The value of `name` marked as read, or undefined (after reporting, when required) if absent or null. */
  private take(name: string, required: boolean | undefined): unknown {
    const value = this.raw(name);
    if (value !== undefined && value !== null) return value;
    if (value === null && this.rejectNull) return this.fail(name, 'must not be null (leave the field out instead)');
    return required === false ? undefined : this.fail(name, 'is required');
  }

  private peek(name: string): unknown {
    return Object.hasOwn(this.obj, name) ? this.obj[name] : undefined;
  }

  private report(at: string, name: string, message: string, value: unknown): undefined {
    const hidden = this.redacted.includes(name) || (!this.quoteStrings && typeof value === 'string');
    const got = hidden ? describeKind(value) : describeValue(value);
    this.issues.push({ field: this.fieldPath(at), message: got === null ? message : `${message}, got ${got}` });
    return undefined;
  }
}

/** Index of the first item equal to an earlier one, or -1 (linear: 10,000 vehicle ids must not cost 10^8 comparisons). */
function firstRepeat(items: readonly string[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    if (seen.has(item)) return i;
    seen.add(item);
  }
  return -1;
}

function codePoints(value: string): number {
  return value.length - (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

function hintText(rule: NumberRule): string {
  return rule.hint === undefined ? '' : ` (${rule.hint})`;
}

function inRange(value: number, rule: NumberRule): boolean {
  return (rule.min === undefined || value >= rule.min) && (rule.max === undefined || value <= rule.max) && (rule.below === undefined || value < rule.below);
}

/** Every bound at once (`>= 0 and < 360`), so a caller fixes the value in one try. */
function rangeText(rule: NumberRule): string {
  const bounds: string[] = [];
  if (rule.min !== undefined) bounds.push(`>= ${rule.min}`);
  if (rule.max !== undefined) bounds.push(`<= ${rule.max}`);
  if (rule.below !== undefined) bounds.push(`< ${rule.below}`);
  return bounds.join(' and ');
}

/**
 * The kind of a redacted value. Null for a string: every rule that a string can fail
 * already implies one, and its content is what must stay hidden.
 */
function describeKind(value: unknown): string | null {
  if (typeof value === 'string') return null;
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A short rendering of a bad value for a message: strings quoted and cut at 40 characters, containers by kind. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    return value.length > 40 ? `${JSON.stringify(`${value.slice(0, 40)}…`)} (${value.length} characters)` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Issues as one line for a record decoder's `invalid` reason: `field: message; field: message`. */
export function issuesText(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}

type Complete<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> };

/**
 * The fields a decoder read, once every one of them has a value (a reader returns
 * undefined for a field it reported); undefined otherwise. Lets a decoder build its typed
 * record from what the reader checked, without casting the raw object.
 */
export function complete<T extends Readonly<Record<string, unknown>>>(fields: T): Complete<T> | undefined {
  for (const value of Object.values(fields)) if (value === undefined) return undefined;
  return fields as Complete<T>;
}

export type JsonRecordRead<T> = { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'invalid'; readonly reason: string };

/**
 * A JSON record value read field by field: not JSON, not an object, any issue, or nothing
 * read is `invalid` with the reason (`field: message; …`, or `incomplete`).
 */
export function readJsonRecord<T>(value: Buffer, read: (r: FieldReader, issues: FieldIssue[]) => T | undefined): JsonRecordRead<T> {
  const issues: FieldIssue[] = [];
  const r = FieldReader.ofJson(value.toString('utf8'), issues);
  if (typeof r === 'string') return { kind: 'invalid', reason: r };
  const result = read(r, issues);
  if (issues.length > 0 || result === undefined) return { kind: 'invalid', reason: issuesText(issues) || 'incomplete' };
  return { kind: 'ok', value: result };
}
