import type { FieldIssue } from '../../shared/errors.js';
import { FieldReader, readJsonRecord } from '../../shared/field-reader.js';
import type { LandmarkHit } from './derive-params.js';
import type { SpeedEpisode } from './speed-episode.js';
import type { Fix, LastPoint, TripState, VehicleState } from './vehicle-state.js';

export type DecodedVehicleState =
  | { readonly kind: 'ok'; readonly state: VehicleState }
  | { readonly kind: 'invalid'; readonly reason: string };

/** A vehicle's state as the value of its changelog record (JSON). */
export function encodeVehicleState(state: VehicleState): Buffer {
  return Buffer.from(JSON.stringify(state), 'utf8');
}

/**
 * Reads a changelog record back, field by field: a state that is not exactly what the
 * rules wrote (another version, a missing field, an offset that is not a decimal) is
 * `invalid` with the reason, and the caller starts that vehicle afresh rather than run
 * the rules on a guess.
 */
export function decodeVehicleState(value: Buffer): DecodedVehicleState {
  const read = readJsonRecord(value, readState);
  return read.kind === 'ok' ? { kind: 'ok', state: read.value } : read;
}

function readState(r: FieldReader, issues: FieldIssue[]): VehicleState | undefined {
  const version = r.number('version', { integer: true, min: 1, max: 1 });
  const vehicleId = r.string('vehicleId', { max: 128 });
  const accountId = r.string('accountId', { max: 128 });
  const position = readPosition(r.raw('position'), 'position', issues);
  const last = readLast(r.raw('last'), 'last', issues);
  const idleSince = nullable(r.raw('idleSince'), 'idleSince', issues, readFix);
  const trip = nullable(r.raw('trip'), 'trip', issues, readTrip);
  const speeding = readEpisodes(r.raw('speeding'), 'speeding', issues);
  const postedSpeeding = readEpisodes(r.raw('postedSpeeding'), 'postedSpeeding', issues);
  const landmarks = readLandmarks(r.raw('landmarks'), 'landmarks', issues);
  const heartbeatDay = r.number('heartbeatDay', { integer: true, min: 0 });
  r.rejectUnknown();
  if (version !== 1 || vehicleId === undefined || accountId === undefined || position === undefined || last === undefined || idleSince === undefined
    || trip === undefined || speeding === undefined || postedSpeeding === undefined || landmarks === undefined || heartbeatDay === undefined) return undefined;
  return { version, vehicleId, accountId, position, last, idleSince, trip, speeding, postedSpeeding, landmarks, heartbeatDay };
}

function nullable<T>(value: unknown, path: string, issues: FieldIssue[], read: (v: unknown, p: string, i: FieldIssue[]) => T | undefined): T | null | undefined {
  return value === null ? null : read(value, path, issues);
}

function readPosition(value: unknown, path: string, issues: FieldIssue[]): VehicleState['position'] | undefined {
  const r = FieldReader.of(value, path, issues);
  if (!r) return undefined;
  const partition = r.number('partition', { integer: true, min: 0 });
  const offset = r.string('offset', { max: 20, pattern: /^\d+$/, patternHint: 'must be a decimal offset' });
  r.rejectUnknown();
  return partition === undefined || offset === undefined ? undefined : { partition, offset };
}

function readFix(value: unknown, path: string, issues: FieldIssue[]): Fix | undefined {
  const r = FieldReader.of(value, path, issues);
  if (!r) return undefined;
  const fix = readFixFields(r);
  r.rejectUnknown();
  return fix;
}

function readFixFields(r: FieldReader): Fix | undefined {
  const time = r.number('time', { integer: true });
  const lat = r.number('lat', { min: -90, max: 90 });
  const lon = r.number('lon', { min: -180, max: 180 });
  const odometerKm = r.number('odometerKm', { min: 0 });
  return time === undefined || lat === undefined || lon === undefined || odometerKm === undefined ? undefined : { time, lat, lon, odometerKm };
}

function readLast(value: unknown, path: string, issues: FieldIssue[]): LastPoint | undefined {
  const r = FieldReader.of(value, path, issues);
  if (!r) return undefined;
  const fix = readFixFields(r);
  const speedKmh = r.number('speedKmh', { min: 0 });
  const ignition = r.bool('ignition');
  r.rejectUnknown();
  return fix === undefined || speedKmh === undefined || ignition === undefined ? undefined : { ...fix, speedKmh, ignition };
}

function readTrip(value: unknown, path: string, issues: FieldIssue[]): TripState | undefined {
  const r = FieldReader.of(value, path, issues);
  if (!r) return undefined;
  const start = readFix(r.raw('start'), r.fieldPath('start'), issues);
  const maxSpeedKmh = r.number('maxSpeedKmh', { min: 0 });
  const moved = r.bool('moved');
  const stoppedAt = nullable(r.raw('stoppedAt'), r.fieldPath('stoppedAt'), issues, readFix);
  r.rejectUnknown();
  return start === undefined || maxSpeedKmh === undefined || moved === undefined || stoppedAt === undefined ? undefined : { start, maxSpeedKmh, moved, stoppedAt };
}

function readEpisodes(value: unknown, path: string, issues: FieldIssue[]): Record<string, SpeedEpisode> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ field: path, message: 'must be an object of open episodes by rule' });
    return undefined;
  }
  const out: Record<string, SpeedEpisode> = {};
  for (const [key, episode] of Object.entries(value)) {
    const below = (episode as { belowSinceMs?: unknown } | null)?.belowSinceMs;
    if (!/^\d+(\.\d+)?(kmh|mph)$/.test(key) || (below !== null && !Number.isSafeInteger(below))) {
      issues.push({ field: `${path}.${key}`, message: 'must be a rule key (60mph) with { belowSinceMs: integer or null }' });
      continue;
    }
    out[key] = { belowSinceMs: below as number | null };
  }
  return out;
}

function readLandmarks(value: unknown, path: string, issues: FieldIssue[]): LandmarkHit[] | undefined {
  if (!Array.isArray(value)) {
    issues.push({ field: path, message: 'must be an array of { id, name }' });
    return undefined;
  }
  const out: LandmarkHit[] = [];
  value.forEach((item: unknown, i) => {
    const r = FieldReader.of(item, `${path}[${i}]`, issues);
    if (!r) return;
    const id = r.string('id', { max: 128 });
    const name = r.string('name', { min: 0, max: 1_000 });
    r.rejectUnknown();
    if (id !== undefined && name !== undefined) out.push({ id, name });
  });
  return out.length === value.length ? out : undefined;
}
