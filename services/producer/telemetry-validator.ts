import { dtcSources, dtcStatuses, dvirStatuses, vehicleEventOrigins, vehicleEventTypes } from '../../schemas/telemetry-records.js';
import type { VehicleEventType } from '../../schemas/telemetry-records.js';
import { FieldChecker } from './field-checker.js';
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

function common(c: FieldChecker): void {
  c.id('vehicleId');
  c.id('accountId');
  c.number('time', { integer: true, min: earliestTimeMs, below: latestTimeMs, hint: timeHint });
  c.number('seq', { integer: true, min: 0, optional: true });
}

const gpsFields = new Set([
  'vehicleId', 'accountId', 'time', 'lat', 'lon', 'speedKmh', 'headingDeg', 'odometerKm', 'ignition',
  'postedSpeedLimitKmh', 'driverId', 'seq',
]);

export const validateGpsPoint: RecordValidator = (value, path) => {
  const c = new FieldChecker(value, path);
  if (!c.ok) return c.issues;
  common(c);
  c.number('lat', { min: -90, max: 90, hint: 'degrees' });
  c.number('lon', { min: -180, max: 180, hint: 'degrees' });
  c.number('speedKmh', { min: 0, hint: 'km/h' });
  c.number('headingDeg', { min: 0, below: 360, hint: 'degrees' });
  c.number('odometerKm', { min: 0, hint: 'km' });
  c.boolean('ignition');
  c.number('postedSpeedLimitKmh', { min: 0, optional: true, hint: 'km/h' });
  c.id('driverId', { optional: true });
  c.onlyFields(gpsFields);
  return c.issues;
};

const dtcFields = new Set(['vehicleId', 'accountId', 'time', 'code', 'source', 'spn', 'fmi', 'status', 'description', 'seq']);

export const validateDtc: RecordValidator = (value, path) => {
  const c = new FieldChecker(value, path);
  if (!c.ok) return c.issues;
  common(c);
  c.id('code');
  c.oneOf('source', dtcSources);
  const j1939 = c.value('source') === 'J1939';
  c.number('spn', { integer: true, min: 0, max: 524_287, optional: !j1939, hint: 'J1939 SPN' });
  c.number('fmi', { integer: true, min: 0, max: 31, optional: !j1939, hint: 'J1939 FMI' });
  c.oneOf('status', dtcStatuses);
  c.text('description', { optional: true });
  c.onlyFields(dtcFields);
  return c.issues;
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

const eventFields = new Set([
  'vehicleId', 'accountId', 'time', 'type', 'origin', 'eventId', 'seq', 'lat', 'lon', 'driverId', 'odometerKm',
  'speedKmh', 'speedLimitKmh', 'durationMs', 'tripStartTime', 'tripDistanceKm', 'landmarkId', 'landmarkName',
  'temperatureCelsius', 'sensorId', 'dvirStatus', 'dvirDefects',
]);

export const validateVehicleEvent: RecordValidator = (value, path) => {
  const c = new FieldChecker(value, path);
  if (!c.ok) return c.issues;
  common(c);
  c.oneOf('type', vehicleEventTypes);
  const optional = { optional: true } as const;
  c.oneOf('origin', vehicleEventOrigins, optional);
  c.id('eventId', optional);
  c.number('lat', { min: -90, max: 90, optional: true, hint: 'degrees' });
  c.number('lon', { min: -180, max: 180, optional: true, hint: 'degrees' });
  if (c.has('lat') !== c.has('lon')) c.fail(c.has('lat') ? 'lon' : 'lat', 'must be given together with lat/lon');
  c.id('driverId', optional);
  c.number('odometerKm', { min: 0, optional: true, hint: 'km' });
  c.number('speedKmh', { min: 0, optional: true, hint: 'km/h' });
  c.number('speedLimitKmh', { min: 0, optional: true, hint: 'km/h' });
  c.number('durationMs', { integer: true, min: 0, optional: true, hint: 'milliseconds' });
  c.number('tripStartTime', { integer: true, min: earliestTimeMs, below: latestTimeMs, optional: true, hint: timeHint });
  c.number('tripDistanceKm', { min: 0, optional: true, hint: 'km' });
  c.id('landmarkId', optional);
  c.text('landmarkName', { optional: true, maxLength: 256 });
  c.number('temperatureCelsius', { min: -100, max: 200, optional: true, hint: '°C' });
  c.id('sensorId', optional);
  c.oneOf('dvirStatus', dvirStatuses, optional);
  c.stringList('dvirDefects', optional);
  c.onlyFields(eventFields);
  const type = c.value('type');
  if (typeof type === 'string' && Object.hasOwn(requiredEventDetails, type)) {
    for (const field of requiredEventDetails[type as VehicleEventType]) {
      if (!c.has(field)) c.fail(field, `is required for a ${type} event`);
    }
  }
  return c.issues;
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
