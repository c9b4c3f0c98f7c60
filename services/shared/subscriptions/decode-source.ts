import type { FieldIssue } from '../errors.js';
import { FieldReader } from '../field-reader.js';
import { speedUnits } from '../../../schemas/telemetry-records.js';
import { landmarkIdPattern } from '../landmarks/landmark-types.js';
import { readCadence } from './decode-cadence.js';
import { readScheduledOptions } from './read-scheduled-options.js';
import { eventTypes, limits } from './subscription-types.js';
import type { Cadence, EventSelection, EventType, SpeedEventType, SubscriptionSource } from './subscription-types.js';

/**
 * A subscription field is either left out or has a value: null is refused (vehicleFilter
 * reads it itself). Messages never quote a sent string: the admin API does not echo input.
 */
const strict = { rejectNull: true, quoteStrings: false } as const;

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const idHint = 'must be an id of letters, digits, "_", ".", ":" or "-" (at most 128 characters)';
/** The rule for one id in a list (landmark ids, vehicle ids). */
export const idItem = { maxLength: 128, pattern: idPattern, hint: idHint } as const;
const landmarkIdItem = { maxLength: 128, pattern: landmarkIdPattern, hint: 'must be a landmark id (lm_ and 25 letters or digits, as the landmarks API returns)' } as const;

/** Decodes `source`: which data a subscription receives. */
export function decodeSource(value: unknown, path: string, issues: FieldIssue[]): SubscriptionSource | undefined {
  const r = FieldReader.of(value, path, issues, strict);
  if (!r) return undefined;
  const kind = r.oneOf('kind', ['gps', 'dtc', 'event', 'scheduled'] as const);
  let source: SubscriptionSource | undefined;
  switch (kind) {
    case 'gps':
    case 'dtc':
      source = { kind };
      break;
    case 'event': {
      const selections = decodeEventTypes(r.raw('eventTypes'), r.fieldPath('eventTypes'), issues);
      source = selections && { kind, eventTypes: selections };
      break;
    }
    case 'scheduled': {
      const cadence = decodeCadence(r.raw('cadence'), r.fieldPath('cadence'), issues);
      const options = readScheduledOptions(r, true);
      source = cadence && options && { kind, cadence, ...options };
      break;
    }
    case undefined:
      // Read the variant fields anyway so they are not also reported as unknown.
      r.raw('eventTypes');
      r.raw('cadence');
      for (const option of ['fields', 'units', 'maxRequestBytes']) r.raw(option);
      break;
  }
  r.rejectUnknown();
  return source;
}

function decodeEventTypes(value: unknown, path: string, issues: FieldIssue[]): EventSelection[] | undefined {
  if (value === undefined || value === null) {
    issues.push({ field: path, message: 'is required for kind "event"' });
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({ field: path, message: 'must be a non-empty array of event selections' });
    return undefined;
  }
  if (value.length > eventTypes.length) {
    issues.push({ field: path, message: `must have at most ${eventTypes.length} items` });
    return undefined;
  }
  const before = issues.length;
  const out = value.map((item: unknown, i) => decodeEventSelection(item, `${path}[${i}]`, issues));
  const types = out.flatMap((s) => (s ? [s.type] : []));
  if (new Set(types).size !== types.length) issues.push({ field: path, message: 'lists an event type twice' });
  return issues.length === before ? (out as EventSelection[]) : undefined;
}

function decodeEventSelection(value: unknown, path: string, issues: FieldIssue[]): EventSelection | undefined {
  const r = FieldReader.of(value, path, issues, strict);
  if (!r) return undefined;
  const type: EventType | undefined = r.oneOf('type', eventTypes);
  let selection: EventSelection | undefined;
  switch (type) {
    case 'speeding':
    case 'posted_speeding':
      selection = decodeSpeedSelection(r, type);
      break;
    case 'idle': {
      const before = issues.length;
      const minutes = r.number('minutes', { integer: true, min: 1, max: limits.maxIdleMinutes, required: false });
      if (issues.length === before) selection = minutes === undefined ? { type } : { type, minutes };
      break;
    }
    case 'landmark_enter':
    case 'landmark_leave':
    case 'landmark_change': {
      const before = issues.length;
      const landmarkIds = r.stringList('landmarkIds', {
        minItems: 1, maxItems: limits.maxLandmarkIds, items: landmarkIdItem, unique: true, required: false,
      });
      if (issues.length === before) selection = landmarkIds === undefined ? { type } : { type, landmarkIds };
      break;
    }
    case undefined:
      break;
    default:
      selection = { type };
  }
  r.rejectUnknown();
  return selection;
}

/** The km/h-only fields of records written before `units` existed; still accepted, read as km/h. */
const legacySpeedField = { speeding: 'thresholdKph', posted_speeding: 'overLimitKph' } as const;

function decodeSpeedSelection(r: FieldReader, type: SpeedEventType): EventSelection | undefined {
  const min = type === 'speeding' ? 1 : 0;
  const maxOf = type === 'speeding' ? limits.maxSpeed : limits.maxOverLimit;
  const legacy = legacySpeedField[type];
  if (r.has(legacy) && !r.has('threshold') && !r.has('units')) {
    const threshold = r.number(legacy, { integer: true, min, max: maxOf.kmh, hint: 'km/h' });
    return threshold === undefined ? undefined : { type, threshold, units: 'kmh' };
  }
  // The largest threshold depends on the units; threshold is checked (and reported) first.
  const sentUnits = speedUnits.find((u) => u === r.raw('units'));
  const max = sentUnits === undefined ? Math.max(maxOf.kmh, maxOf.mph) : maxOf[sentUnits];
  const threshold = r.number('threshold', { integer: true, min, max, ...(sentUnits === undefined ? {} : { hint: sentUnits }) });
  const units = r.oneOf('units', speedUnits);
  return units === undefined || threshold === undefined ? undefined : { type, threshold, units };
}

function decodeCadence(value: unknown, path: string, issues: FieldIssue[]): Cadence | undefined {
  const r = FieldReader.of(value, path, issues, strict);
  if (!r) return undefined;
  const cadence = readCadence(r, true);
  r.rejectUnknown();
  return cadence;
}
