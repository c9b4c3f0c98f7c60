import { dtcSources, dtcStatuses, dvirStatuses, speedUnits, vehicleEventOrigins, vehicleEventTypes } from '../../../schemas/telemetry-records.js';
import type { VehicleEventType } from '../../../schemas/telemetry-records.js';
import type { FieldIssue } from '../errors.js';
import { FieldReader } from '../field-reader.js';
import type { StringRule } from '../field-reader.js';

/**
 * The semantic rules of a telemetry record, shared by the producer library (before
 * encoding) and the dispatcher's match stage (after decoding, since not every producer
 * uses our library). Avro alone accepts NaN coordinates, a heading of 720, a time of
 * 9e15 or a control character in an id; these checks name the field path and the bad
 * value instead. Pure: the caller chooses the time window.
 */
export type RecordValidator = (value: unknown, path: string) => FieldIssue[];

/** Accepted record times: `earliestMs` inclusive, `latestMs` exclusive. */
export interface TimeWindow {
  readonly earliestMs: number;
  readonly latestMs: number;
  /** Says what the window means, e.g. 'epoch milliseconds between 2000 and 2100'. */
  readonly hint: string;
}

export interface TelemetryValidators {
  readonly gps: RecordValidator;
  readonly dtc: RecordValidator;
  readonly event: RecordValidator;
}

/** The producer library's window: any plausible epoch-milliseconds time (backfills included). */
export const plausibleTimeWindow: TimeWindow = {
  earliestMs: Date.UTC(2000, 0, 1), latestMs: Date.UTC(2100, 0, 1), hint: 'epoch milliseconds between 2000 and 2100',
};

/** A window around `nowMs`, within the plausible one (the match stage's, see the dispatcher README). */
export function timeWindowAround(nowMs: number, maxAgeMs: number, maxAheadMs: number): TimeWindow {
  return {
    earliestMs: Math.max(plausibleTimeWindow.earliestMs, nowMs - maxAgeMs),
    latestMs: Math.min(plausibleTimeWindow.latestMs, nowMs + maxAheadMs + 1),
    hint: `epoch milliseconds at most ${describeMs(maxAgeMs)} before and ${describeMs(maxAheadMs)} after now`,
  };
}

// Not blank, and no control character (C0, DEL, C1): ids reach logs, headers and customers' systems.
const idPattern = /^(?=[^]*\S)[^\p{Cc}]*$/u;
const id: StringRule = { min: 0, max: 128, pattern: idPattern, patternHint: 'must not be empty or contain control characters' };
const optionalId: StringRule = { ...id, required: false };

/** Validators for the three record kinds, with record times checked against `window`. */
export function telemetryValidators(window: TimeWindow): TelemetryValidators {
  const time = { integer: true, min: window.earliestMs, below: window.latestMs, hint: window.hint } as const;

  /** Reads the fields every record has; null when `value` is not an object (already reported). */
  const readCommon = (value: unknown, path: string, issues: FieldIssue[]): FieldReader | null => {
    const r = FieldReader.of(value, path, issues);
    if (!r) return null;
    r.string('vehicleId', id);
    r.string('accountId', id);
    r.number('time', time);
    r.number('seq', { integer: true, min: 0, required: false });
    r.bool('simulated', { required: false });
    return r;
  };

  const gps: RecordValidator = (value, path) => {
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

  const dtc: RecordValidator = (value, path) => {
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

  const event: RecordValidator = (value, path) => {
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
    r.number('tripStartTime', { ...time, required: false });
    r.number('tripDistanceKm', { min: 0, required: false, hint: 'km' });
    r.string('landmarkId', optionalId);
    r.string('landmarkName', { min: 0, max: 256, required: false });
    r.number('temperatureCelsius', { min: -100, max: 200, required: false, hint: '°C' });
    r.string('sensorId', optionalId);
    r.oneOf('dvirStatus', dvirStatuses, optional);
    r.stringList('dvirDefects', { maxItems: 100, required: false });
    r.number('maxSpeedKmh', { min: 0, required: false, hint: 'km/h' });
    r.number('tripStartLat', { min: -90, max: 90, required: false, hint: 'degrees' });
    r.number('tripStartLon', { min: -180, max: 180, required: false, hint: 'degrees' });
    if (r.has('tripStartLat') !== r.has('tripStartLon')) r.fail(r.has('tripStartLat') ? 'tripStartLon' : 'tripStartLat', 'must be given together with tripStartLat/tripStartLon');
    r.number('speedThreshold', { min: 0, required: false });
    r.oneOf('speedUnits', speedUnits, optional);
    if (r.has('speedThreshold') !== r.has('speedUnits')) r.fail(r.has('speedThreshold') ? 'speedUnits' : 'speedThreshold', 'must be given together with speedThreshold/speedUnits');
    r.rejectUnknown();
    for (const field of type === undefined ? [] : requiredEventDetails[type]) {
      if (!r.has(field)) r.fail(field, `is required for a ${type} event`);
    }
    return issues;
  };

  return { gps, dtc, event };
}

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

/** Validates a whole batch; issues of every bad record, paths like `gps[3].lat`. */
export function validateBatch(values: readonly unknown[], validate: RecordValidator, name: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (let i = 0; i < values.length; i++) {
    const found = validate(values[i], `${name}[${i}]`);
    if (found.length > 0) issues.push(...found);
  }
  return issues;
}

function describeMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day(s)`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour(s)`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minute(s)`;
  return `${ms} ms`;
}
