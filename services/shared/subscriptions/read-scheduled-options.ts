import type { FieldReader } from '../field-reader.js';
import { limits, scheduledDefaults, scheduledFields, scheduledUnits } from './subscription-types.js';
import type { ScheduledField, ScheduledOptions } from './subscription-types.js';

type Options<Strict extends boolean> = Strict extends true ? ScheduledOptions : Partial<ScheduledOptions>;

const fieldItem = { maxLength: 32, pattern: new RegExp(`^(${scheduledFields.join('|')})$`), hint: `must be one of ${scheduledFields.join(', ')}` } as const;

/**
 * Reads a scheduled source's options beside its cadence (`source.fields`, `source.units`,
 * `source.maxRequestBytes`), each problem at its field path (`source.fields[2]`); an
 * absent option takes its default. `strict` (the API) holds new input to the rules and
 * fills in the defaults; a stored record is read as it was written (an option it lacks
 * stays absent: `scheduledOptionsOf` supplies it). Undefined when any option is invalid.
 */
export function readScheduledOptions<Strict extends boolean>(r: FieldReader, strict: Strict): Options<Strict> | undefined {
  const fields = r.stringList('fields', { required: false, minItems: strict ? 1 : 0, maxItems: scheduledFields.length, items: fieldItem, unique: true });
  const units = r.oneOf('units', scheduledUnits, { required: false });
  const maxRequestBytes = r.number('maxRequestBytes', {
    required: false, integer: true, min: limits.minScheduledRequestBytes, max: limits.maxScheduledRequestBytes, hint: 'bytes of one request\'s body',
  });
  const bad = (name: string, value: unknown): boolean => r.has(name) && value === undefined;
  if (bad('fields', fields) || bad('units', units) || bad('maxRequestBytes', maxRequestBytes)) return undefined;
  const read = { fields: fields as ScheduledField[] | undefined, units, maxRequestBytes };
  if (!strict) return Object.fromEntries(Object.entries(read).filter(([, v]) => v !== undefined)) as unknown as Options<Strict>;
  return {
    fields: read.fields ?? scheduledDefaults.fields,
    units: read.units ?? scheduledDefaults.units,
    maxRequestBytes: read.maxRequestBytes ?? scheduledDefaults.maxRequestBytes,
  } as Options<Strict>;
}
