import { dtcSources, dtcStatuses, dvirStatuses, vehicleEventOrigins, vehicleEventTypes } from '../../schemas/telemetry-records.js';
import type { VehicleEventType } from '../../schemas/telemetry-records.js';
import { FieldReader } from '../shared/field-reader.js';
import type { StringRule } from '../shared/field-reader.js';
import type { FieldIssue } from '../shared/errors.js';

/**
 * Pure validation of telemetry records before they are encoded. Avro alone would accept
 * NaN coordinates or a heading of 720, and would silently drop misspelt fields; these
 * checks name the field path and the bad value instead.
 */
export type RecordValidator = (value: unknown, path: string) => FieldIssue[];

const earliestTimeMs = Date.UTC(2000, 0, 1);
const latestTimeMs = Date.UTC(2100, 0, 1);
const timeHint = 'epoch milliseconds between 2000 and 2100';
// A blank id would read as missing to every consumer, so it gets the same message as an empty one.
const id: StringRule = { min: 0, max: 128, pattern: /\S/, patternHint: 'must not be empty' };
const optionalId: StringRule = { ...id, required: false };

/** Reads the fields every record has; null when `value` is not an object (already reported). */
function readCommon(value: unknown, path: string, issues: FieldIssue[]): FieldReader | null {
  const r = FieldReader.of(value, path, issues);
  if (!r) return null;
  r.string('vehicleId', id);
  r.string('accountId', id);
  r.number('time', { integer: true, min: earliestTimeMs, below: latestTimeMs, hint: timeHint });
  r.number('seq', { integer: true, min: 0, required: false });
  return r;
}

export const validateGpsPoint: RecordValidator = (value, path) => {
  const issues: FieldIssue[] = [];
  const r = readCommon(value, path, issues);
  if (!r) return issues;
  r.number('lat', { min: -90, max: 90, hint: 'degrees' });
  r.number('lon', { min: -180, max: 180, hint: 'degrees' });
  r.number('speedKmh', { min: 0, hint: 'km/h' });
  r.number('headingDeg', { min: 0, below: 360, hint: 'degrees' });
  r.number('odometerKm', { min: 0, hint: 'km' });
  r.bool('ignition');
  r.number('postedSpeedLimitKmh', { min: 0, required: false, hint: 'km/h' });
  r.string('driverId', optionalId);
  r.rejectUnknown();
  return issues;
};

export const validateDtc: RecordValidator = (value, path) => {
  const issues: FieldIssue[] = [];
  const r = readCommon(value, path, issues);
  if (!r) return issues;
  r.string('code', id);
  const j1939 = r.oneOf('source', dtcSources) === 'J1939';
  r.number('spn', { integer: true, min: 0, max: 524_287, required: j1939, hint: 'J1939 SPN' });
  r.number('fmi', { integer: true, min: 0, max: 31, required: j1939, hint: 'J1939 FMI' });
  r.oneOf('status', dtcStatuses);
  r.string('description', { min: 0, max: 4_096, required: false });
  r.rejectUnknown();
  return issues;
};

/** Details each event type must carry (beyond the common fields). */
export const requiredEventDetails: Readonly<Record<VehicleEventType, readonly string[]>> = {
  ignition_on: [],
  ignition_off: [],
  heartbeat: [],
  trip_complete: ['tripStartTime', 'durationMs', 'tripDistanceKm'],
  idle: ['durationMs'],
  speeding: ['speedKmh', 'speedLimitKmh'],
  posted_speeding: ['speedKmh', 'speedLimitKmh'],
  landmark_enter: ['landmarkId'],
  landmark_leave: ['landmarkId'],
  temperature: ['temperatureCelsius'],
  dvir: ['dvirStatus'],
  driver_assignment: ['driverId'],
};

export const validateVehicleEvent: RecordValidator = (value, path) => {
  const issues: FieldIssue[] = [];
  const r = readCommon(value, path, issues);
  if (!r) return issues;
  const type = r.oneOf('type', vehicleEventTypes);
  const optional = { required: false } as const;
  r.oneOf('origin', vehicleEventOrigins, optional);
  r.string('eventId', optionalId);
  r.number('lat', { min: -90, max: 90, required: false, hint: 'degrees' });
  r.number('lon', { min: -180, max: 180, required: false, hint: 'degrees' });
  if (r.has('lat') !== r.has('lon')) r.fail(r.has('lat') ? 'lon' : 'lat', 'must be given together with lat/lon');
  r.string('driverId', optionalId);
  r.number('odometerKm', { min: 0, required: false, hint: 'km' });
  r.number('speedKmh', { min: 0, required: false, hint: 'km/h' });
  r.number('speedLimitKmh', { min: 0, required: false, hint: 'km/h' });
  r.number('durationMs', { integer: true, min: 0, required: false, hint: 'milliseconds' });
  r.number('tripStartTime', { integer: true, min: earliestTimeMs, below: latestTimeMs, required: false, hint: timeHint });
  r.number('tripDistanceKm', { min: 0, required: false, hint: 'km' });
  r.string('landmarkId', optionalId);
  r.string('landmarkName', { min: 0, max: 256, required: false });
  r.number('temperatureCelsius', { min: -100, max: 200, required: false, hint: '°C' });
  r.string('sensorId', optionalId);
  r.oneOf('dvirStatus', dvirStatuses, optional);
  r.stringList('dvirDefects', { maxItems: 100, required: false });
  r.rejectUnknown();
  for (const field of type === undefined ? [] : requiredEventDetails[type]) {
    if (!r.has(field)) r.fail(field, `is required for a ${type} event`);
  }
  return issues;
};

/** Validates a whole batch; issues of every bad record, paths like `gps[3].lat`. */
export function validateBatch(values: readonly unknown[], validate: RecordValidator, name: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (let i = 0; i < values.length; i++) {
    const found = validate(values[i], `${name}[${i}]`);
    if (found.length > 0) issues.push(...found);
  }
  return issues;
}
