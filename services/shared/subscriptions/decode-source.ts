import type { FieldIssue } from '../errors.js';
import { FieldReader } from '../field-reader.js';
import { readCadence } from './decode-cadence.js';
import { eventTypes, limits } from './subscription-types.js';
import type { Cadence, EventSelection, EventType, SubscriptionSource } from './subscription-types.js';

/**
 * A subscription field is either left out or has a value: null is refused (vehicleFilter
 * reads it itself). Messages never quote a sent string: the admin API does not echo input.
 */
const strict = { rejectNull: true, quoteStrings: false } as const;

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const idHint = 'must be an id of letters, digits, "_", ".", ":" or "-" (at most 128 characters)';
/** The rule for one id in a list (landmark ids, vehicle ids). */
export const idItem = { maxLength: 128, pattern: idPattern, hint: idHint } as const;

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
      source = cadence && { kind, cadence };
      break;
    }
    case undefined:
      // Read the variant fields anyway so they are not also reported as unknown.
      r.raw('eventTypes');
      r.raw('cadence');
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
    case 'speeding': {
      const thresholdKph = r.number('thresholdKph', { integer: true, min: 1, max: limits.maxSpeedKph });
      selection = thresholdKph === undefined ? undefined : { type, thresholdKph };
      break;
    }
    case 'posted_speeding': {
      const overLimitKph = r.number('overLimitKph', { integer: true, min: 0, max: 200 });
      selection = overLimitKph === undefined ? undefined : { type, overLimitKph };
      break;
    }
    case 'landmark_enter':
    case 'landmark_leave': {
      const landmarkIds = r.stringList('landmarkIds', {
        minItems: 1, maxItems: limits.maxLandmarkIds, items: idItem, unique: true,
      });
      selection = landmarkIds && { type, landmarkIds };
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

function decodeCadence(value: unknown, path: string, issues: FieldIssue[]): Cadence | undefined {
  const r = FieldReader.of(value, path, issues, strict);
  if (!r) return undefined;
  const cadence = readCadence(r, true);
  r.rejectUnknown();
  return cadence;
}
