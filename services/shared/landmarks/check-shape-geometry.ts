import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { kinks } from '@turf/kinks';
import type { FieldIssue } from '../errors.js';
import { landmarkLimits } from './landmark-types.js';
import type { LandmarkShape, Position } from './landmark-types.js';

/**
 * Whether a decoded polygon is an area a vehicle can be inside: at most 1,000 positions
 * in all, every ring closed, no position repeated right after itself, no edge crossing
 * another (@turf/kinks, also across rings), every ring enclosing an area, every hole
 * inside the outline (@turf/boolean-point-in-polygon). Rules no JSON Schema can state:
 * the admin API answers them with 422, paths under `path`. A circle always passes.
 */
export function checkShapeGeometry(shape: LandmarkShape, path: string): FieldIssue[] {
  if (shape.type === 'circle') return [];
  const at = `${path}.coordinates`;
  const rings = shape.coordinates;
  const total = rings.reduce((n, ring) => n + ring.length, 0);
  if (total > landmarkLimits.maxPositions) return [{ field: at, message: `must have at most ${landmarkLimits.maxPositions} positions in all, got ${total}` }];
  const issues = rings.flatMap((ring, i) => ringIssues(ring, `${at}[${i}]`));
  if (issues.length > 0) return issues;
  const crossing = kinks({ type: 'Polygon', coordinates: rings }).features[0];
  if (crossing !== undefined) {
    const [lon, lat] = crossing.geometry.coordinates;
    return [{ field: at, message: `must not intersect itself: edges cross near [${lon}, ${lat}]` }];
  }
  // After the crossing check: a bow tie's two halves cancel out in the signed area.
  rings.forEach((ring, i) => {
    if (Math.abs(doubleArea(ring)) < 1e-12) issues.push({ field: `${at}[${i}]`, message: 'must enclose an area (its corners are on one line)' });
  });
  const outline = { type: 'Polygon' as const, coordinates: [rings[0] as Position[]] };
  rings.slice(1).forEach((hole, i) => {
    if (!booleanPointInPolygon(hole[0] as Position, outline)) issues.push({ field: `${at}[${i + 1}]`, message: `is a hole and must lie inside the outline (${at}[0])` });
  });
  return issues;
}

function ringIssues(ring: readonly Position[], at: string): FieldIssue[] {
  const first = ring[0] as Position;
  const last = ring[ring.length - 1] as Position;
  if (first[0] !== last[0] || first[1] !== last[1]) return [{ field: at, message: 'must be closed: the last position must equal the first' }];
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1] as Position;
    const b = ring[i] as Position;
    if (a[0] === b[0] && a[1] === b[1]) return [{ field: `${at}[${i}]`, message: 'repeats the previous position' }];
  }
  return [];
}

/** Twice the signed planar area (shoelace), in square degrees: only compared with zero. */
function doubleArea(ring: readonly Position[]): number {
  let sum = 0;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1] as Position;
    const b = ring[i] as Position;
    sum += a[0] * b[1] - b[0] * a[1];
  }
  return sum;
}
