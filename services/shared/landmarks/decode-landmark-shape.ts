import type { FieldIssue } from '../errors.js';
import { FieldReader } from '../field-reader.js';
import { landmarkLimits } from './landmark-types.js';
import type { LandmarkShape, Position } from './landmark-types.js';

const strict = { rejectNull: true, quoteStrings: false } as const;

/**
 * Decodes a landmark's `shape` as data, reporting every problem with its path: a circle
 * needs a centre in range and a radius in metres; a polygon needs 1 to 10 rings of at
 * least 4 positions `[lon, lat]` in range. Whether a polygon is a valid area (closed,
 * simple, holes inside) is `checkShapeGeometry`'s question, asked once this one passes.
 */
export function decodeLandmarkShape(value: unknown, path: string, issues: FieldIssue[]): LandmarkShape | undefined {
  const before = issues.length;
  const r = FieldReader.of(value, path, issues, strict);
  if (!r) return undefined;
  const type = r.oneOf('type', ['circle', 'polygon'] as const);
  let shape: LandmarkShape | undefined;
  if (type === 'circle') {
    const center = decodeCenter(r.raw('center'), r.fieldPath('center'), issues);
    const radiusM = r.number('radiusM', { min: landmarkLimits.minRadiusM, max: landmarkLimits.maxRadiusM, hint: 'metres' });
    shape = center && radiusM !== undefined ? { type, center, radiusM } : undefined;
  } else if (type === 'polygon') {
    const coordinates = decodeRings(r.raw('coordinates'), r.fieldPath('coordinates'), issues);
    shape = coordinates && { type, coordinates };
  } else {
    r.raw('center');
    r.raw('radiusM');
    r.raw('coordinates');
  }
  r.rejectUnknown();
  return issues.length > before ? undefined : shape;
}

function decodeCenter(value: unknown, path: string, issues: FieldIssue[]): { lat: number; lon: number } | undefined {
  if (value === undefined) {
    issues.push({ field: path, message: 'is required for a circle' });
    return undefined;
  }
  const r = FieldReader.of(value, path, issues, strict);
  if (!r) return undefined;
  const lat = r.number('lat', { min: -90, max: 90, hint: 'degrees' });
  const lon = r.number('lon', { min: -180, max: 180, hint: 'degrees' });
  r.rejectUnknown();
  return lat === undefined || lon === undefined ? undefined : { lat, lon };
}

function decodeRings(value: unknown, path: string, issues: FieldIssue[]): Position[][] | undefined {
  if (value === undefined) {
    issues.push({ field: path, message: 'is required for a polygon' });
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > landmarkLimits.maxRings) {
    issues.push({ field: path, message: `must be an array of 1 to ${landmarkLimits.maxRings} rings (the outline, then holes), each an array of [lon, lat] positions` });
    return undefined;
  }
  const before = issues.length;
  const rings = value.map((ring: unknown, i) => decodeRing(ring, `${path}[${i}]`, issues));
  return issues.length > before ? undefined : (rings as Position[][]);
}

function decodeRing(value: unknown, path: string, issues: FieldIssue[]): Position[] | undefined {
  if (!Array.isArray(value) || value.length > landmarkLimits.maxPositions) {
    issues.push({ field: path, message: `must be an array of at most ${landmarkLimits.maxPositions} [lon, lat] positions` });
    return undefined;
  }
  if (value.length < 4) {
    issues.push({ field: path, message: `must have at least 4 positions (3 corners and the first again to close it), got ${value.length}` });
    return undefined;
  }
  const before = issues.length;
  const ring = value.map((p: unknown, i) => decodePosition(p, `${path}[${i}]`, issues));
  return issues.length > before ? undefined : (ring as Position[]);
}

function decodePosition(value: unknown, path: string, issues: FieldIssue[]): Position | undefined {
  if (!Array.isArray(value) || value.length !== 2) {
    issues.push({ field: path, message: 'must be a position [lon, lat] of two numbers' });
    return undefined;
  }
  const [lon, lat] = value as unknown[];
  const bad = (v: unknown, min: number, max: number): boolean => typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max;
  if (bad(lon, -180, 180)) issues.push({ field: `${path}[0]`, message: 'must be a longitude between -180 and 180 (degrees; positions are [lon, lat])' });
  if (bad(lat, -90, 90)) issues.push({ field: `${path}[1]`, message: 'must be a latitude between -90 and 90 (degrees; positions are [lon, lat])' });
  return bad(lon, -180, 180) || bad(lat, -90, 90) ? undefined : [lon as number, lat as number];
}
