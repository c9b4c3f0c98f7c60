import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import type { LandmarkShape } from './landmark-types.js';

/** A bounding box in degrees, as the spatial index takes it. */
export interface Bounds {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

const earthRadiusM = 6_371_008.8;
const metresPerDegreeLat = (Math.PI * earthRadiusM) / 180;
const toRad = Math.PI / 180;

/** Great-circle distance in metres (haversine). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * toRad;
  const dLon = (lon2 - lon1) * toRad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * toRad) * Math.cos(lat2 * toRad) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Whether the shape contains the position; a position on the edge counts as inside. */
export function shapeContains(shape: LandmarkShape, lat: number, lon: number): boolean {
  if (shape.type === 'circle') return distanceM(shape.center.lat, shape.center.lon, lat, lon) <= shape.radiusM;
  return booleanPointInPolygon([lon, lat], { type: 'Polygon', coordinates: shape.coordinates });
}

/**
 * A box around the shape. A circle's box widens in longitude with latitude; one that
 * reaches a pole or crosses the antimeridian takes every longitude (a polygon that
 * crosses it must be split, as GeoJSON says).
 */
export function shapeBounds(shape: LandmarkShape): Bounds {
  if (shape.type === 'polygon') {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [lon, lat] of shape.coordinates[0] ?? []) {
      minX = Math.min(minX, lon); maxX = Math.max(maxX, lon);
      minY = Math.min(minY, lat); maxY = Math.max(maxY, lat);
    }
    return { minX, minY, maxX, maxY };
  }
  const { lat, lon } = shape.center;
  // A little over the exact span, so rounding never leaves an edge point outside the box.
  const dLat = (shape.radiusM / metresPerDegreeLat) * 1.001;
  const minY = Math.max(-90, lat - dLat);
  const maxY = Math.min(90, lat + dLat);
  const widest = Math.max(Math.abs(minY), Math.abs(maxY));
  const cos = Math.cos(widest * toRad);
  const dLon = cos <= 1e-9 ? 360 : dLat / cos;
  if (dLon >= 180 || lon - dLon < -180 || lon + dLon > 180) return { minX: -180, minY, maxX: 180, maxY };
  return { minX: lon - dLon, minY, maxX: lon + dLon, maxY };
}
