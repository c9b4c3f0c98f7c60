import type { FieldReader } from '../field-reader.js';
import { limits } from './subscription-types.js';
import type { Cadence } from './subscription-types.js';

const timeOfDay = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * Reads a cadence (`source.cadence`), reporting each problem at its field path. `strict`
 * (the API) holds new input to the rules: minutes 1–59, `at` HH:MM UTC, `day` 1–28 (every
 * month has it). A stored record is read leniently: a record written before `at` and `day`
 * existed reads with their defaults, and one with minutes up to a day (the old limit) stays
 * readable.
 */
export function readCadence(c: FieldReader, strict: boolean): Cadence | undefined {
  const every = c.oneOf('every', ['minutes', 'hour', 'day', 'month'] as const);
  switch (every) {
    case 'minutes': {
      const minutes = c.number('minutes', { integer: true, min: 1, max: strict ? limits.maxScheduledEveryMinutes : 1_440 });
      return minutes === undefined ? undefined : { every, minutes };
    }
    case 'hour':
      return { every };
    case 'day': {
      const at = c.string('at', { max: 5, required: false, pattern: timeOfDay, patternHint: 'must be a UTC time of day HH:MM (00:00 to 23:59)' });
      return c.has('at') && at === undefined ? undefined : { every, at: at ?? '00:00' };
    }
    case 'month': {
      const day = c.number('day', { integer: true, min: 1, max: 28, required: false, hint: 'day of the month; 29–31 are not in every month' });
      return c.has('day') && day === undefined ? undefined : { every, day: day ?? 1 };
    }
    case undefined:
      return undefined;
  }
}
