import { randomBytes } from 'node:crypto';

/**
 * Landmarks (geofences), registered per account in the admin API and kept on the
 * compacted landmark topic, keyed by id. Positions follow GeoJSON: `[lon, lat]` in WGS84
 * degrees; a polygon is GeoJSON Polygon `coordinates` — closed rings, the first the
 * outline and any further ones holes.
 */
export type LandmarkShape =
  | { readonly type: 'circle'; readonly center: { readonly lat: number; readonly lon: number }; readonly radiusM: number }
  | { readonly type: 'polygon'; readonly coordinates: Position[][] };

export type Position = [lon: number, lat: number];

export interface Landmark {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly shape: LandmarkShape;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Incremented on every write. */
  readonly revision: number;
}

export interface LandmarkHit {
  readonly id: string;
  readonly name: string;
}

/** The landmarks of one account, as the deriver's event rules ask for them. */
export interface LandmarkLookup {
  /** The landmarks whose shape contains the position, in any order. */
  containing(lat: number, lon: number): readonly LandmarkHit[];
  /** False once a landmark is deleted: a vehicle inside it then leaves without an event. */
  exists(landmarkId: string): boolean;
}

export const landmarkLimits = {
  maxNameLength: 200,
  minRadiusM: 1,
  maxRadiusM: 100_000,
  /** An outline and up to 9 holes. */
  maxRings: 10,
  /** Over all rings of one polygon; the self-intersection check is quadratic in it. */
  maxPositions: 1_000,
} as const;

export const landmarkIdPattern = /^lm_[0-9a-z]{9}[0-9a-f]{16}$/;

/** `lm_` + creation time (base 36, fixed width) + 64 random bits: ids sort by creation, as subscription ids do. */
export function newLandmarkId(now: Date = new Date()): string {
  return `lm_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}
