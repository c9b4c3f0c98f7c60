import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '../../../services/shared/errors.js';
import { checkShapeGeometry } from '../../../services/shared/landmarks/check-shape-geometry.js';
import { decodeLandmarkShape } from '../../../services/shared/landmarks/decode-landmark-shape.js';
import { distanceM, shapeBounds, shapeContains } from '../../../services/shared/landmarks/landmark-geometry.js';
import { LandmarkIndex } from '../../../services/shared/landmarks/landmark-index.js';
import { decodeLandmarkRecord, encodeLandmarkRecord } from '../../../services/shared/landmarks/landmark-record-codec.js';
import type { Landmark, LandmarkShape } from '../../../services/shared/landmarks/landmark-types.js';

const square = [[[13, 52], [13.1, 52], [13.1, 52.1], [13, 52.1], [13, 52]]];

/** Decoding, then (when it passed) the geometry check, as the admin API does. */
function decode(value: unknown): { shape: LandmarkShape | undefined; issues: FieldIssue[]; stage: 'decode' | 'geometry' | 'ok' } {
  const issues: FieldIssue[] = [];
  const shape = decodeLandmarkShape(value, 'shape', issues);
  if (shape === undefined) return { shape, issues, stage: 'decode' };
  const geometry = checkShapeGeometry(shape, 'shape');
  return geometry.length > 0 ? { shape: undefined, issues: geometry, stage: 'geometry' } : { shape, issues, stage: 'ok' };
}

describe('decodeLandmarkShape', () => {
  it.each<[string, unknown]>([
    ['a circle', { type: 'circle', center: { lat: 52.5, lon: 13.4 }, radiusM: 250 }],
    ['a polygon', { type: 'polygon', coordinates: square }],
    ['a polygon with a hole', { type: 'polygon', coordinates: [...square, [[13.02, 52.02], [13.05, 52.02], [13.05, 52.05], [13.02, 52.02]]] }],
    ['a polygon with its corners the other way round', { type: 'polygon', coordinates: [[[13, 52], [13, 52.1], [13.1, 52.1], [13.1, 52], [13, 52]]] }],
  ])('accepts %s', (_name, value) => {
    const { shape, issues } = decode(value);
    expect(issues).toEqual([]);
    expect(shape).toEqual(value);
  });

  it.each<[string, unknown, string, RegExp, 'decode' | 'geometry']>([
    ['no type', { center: { lat: 1, lon: 1 }, radiusM: 5 }, 'shape.type', /required/, 'decode'],
    ['an unknown type', { type: 'square' }, 'shape.type', /one of circle, polygon/, 'decode'],
    ['not an object', [1, 2], 'shape', /must be an object/, 'decode'],
    ['a circle without centre', { type: 'circle', radiusM: 5 }, 'shape.center', /required for a circle/, 'decode'],
    ['a centre latitude out of range', { type: 'circle', center: { lat: 91, lon: 1 }, radiusM: 5 }, 'shape.center.lat', /<= 90/, 'decode'],
    ['a centre longitude out of range', { type: 'circle', center: { lat: 1, lon: -180.5 }, radiusM: 5 }, 'shape.center.lon', />= -180/, 'decode'],
    ['a zero radius', { type: 'circle', center: { lat: 1, lon: 1 }, radiusM: 0 }, 'shape.radiusM', />= 1/, 'decode'],
    ['a radius over 100 km', { type: 'circle', center: { lat: 1, lon: 1 }, radiusM: 100_001 }, 'shape.radiusM', /<= 100000/, 'decode'],
    ['polygon fields on a circle', { type: 'circle', center: { lat: 1, lon: 1 }, radiusM: 5, coordinates: square }, 'shape.coordinates', /unknown field/, 'decode'],
    ['a polygon without coordinates', { type: 'polygon' }, 'shape.coordinates', /required for a polygon/, 'decode'],
    ['no ring', { type: 'polygon', coordinates: [] }, 'shape.coordinates', /1 to 10 rings/, 'decode'],
    ['too few points', { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13, 52]]] }, 'shape.coordinates[0]', /at least 4 positions.*got 3/, 'decode'],
    ['a ring that is not closed', { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13.1, 52.1], [13, 52.1]]] }, 'shape.coordinates[0]', /must be closed/, 'geometry'],
    ['a longitude out of range', { type: 'polygon', coordinates: [[[13, 52], [181, 52], [13.1, 52.1], [13, 52]]] }, 'shape.coordinates[0][1][0]', /longitude between -180 and 180/, 'decode'],
    ['a latitude out of range', { type: 'polygon', coordinates: [[[13, 52], [13.1, -95], [13.1, 52.1], [13, 52]]] }, 'shape.coordinates[0][1][1]', /latitude between -90 and 90/, 'decode'],
    ['lat/lon swapped past 90', { type: 'polygon', coordinates: [[[52, 13], [52, 100], [52.1, 13.1], [52, 13]]] }, 'shape.coordinates[0][1][1]', /\[lon, lat\]/, 'decode'],
    ['a position of three numbers', { type: 'polygon', coordinates: [[[13, 52, 0], [13.1, 52], [13.1, 52.1], [13, 52, 0]]] }, 'shape.coordinates[0][0]', /two numbers/, 'decode'],
    ['a position that is not numbers', { type: 'polygon', coordinates: [[[13, 52], ['13.1', 52], [13.1, 52.1], [13, 52]]] }, 'shape.coordinates[0][1][0]', /longitude/, 'decode'],
    ['a self-intersecting ring (bow tie)', { type: 'polygon', coordinates: [[[13, 52], [13.1, 52.1], [13.1, 52], [13, 52.1], [13, 52]]] }, 'shape.coordinates', /must not intersect itself: edges cross near \[13.05, 52.05/, 'geometry'],
    ['a hole crossing the outline', { type: 'polygon', coordinates: [...square, [[13.05, 52.05], [13.2, 52.05], [13.2, 52.06], [13.05, 52.05]]] }, 'shape.coordinates', /intersect itself/, 'geometry'],
    ['a hole outside the outline', { type: 'polygon', coordinates: [...square, [[14, 53], [14.1, 53], [14.1, 53.1], [14, 53]]] }, 'shape.coordinates[1]', /inside the outline/, 'geometry'],
    ['a repeated position', { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13.1, 52], [13.1, 52.1], [13, 52]]] }, 'shape.coordinates[0][2]', /repeats the previous/, 'geometry'],
    ['corners on one line', { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13.2, 52], [13, 52]]] }, 'shape.coordinates[0]', /enclose an area/, 'geometry'],
    ['a ring of more than 1,000 positions', { type: 'polygon', coordinates: [Array.from({ length: 1_001 }, (_, i) => [i / 10_000, 0])] }, 'shape.coordinates[0]', /at most 1000/, 'decode'],
    ['more than 1,000 positions in all', { type: 'polygon', coordinates: [square[0], ...Array.from({ length: 9 }, () => Array.from({ length: 111 }, (_, i) => [13.05, 52.05 + i / 100_000]))] }, 'shape.coordinates', /at most 1000 positions in all, got 1004/, 'geometry'],
  ])('refuses %s, naming the field', (_name, value, field, message, stage) => {
    const decoded = decode(value);
    const { shape, issues } = decoded;
    expect(shape).toBeUndefined();
    expect(decoded.stage).toBe(stage);
    const issue = issues.find((i) => i.field === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });
});

describe('landmark geometry', () => {
  const circle: LandmarkShape = { type: 'circle', center: { lat: 52.52, lon: 13.405 }, radiusM: 500 };

  it('a circle contains what is within its radius (great-circle metres)', () => {
    expect(shapeContains(circle, 52.52, 13.405)).toBe(true);
    expect(shapeContains(circle, 52.52 + 0.0044, 13.405)).toBe(true); // ~489 m north
    expect(shapeContains(circle, 52.52 + 0.0046, 13.405)).toBe(false); // ~511 m north
    expect(distanceM(52.52, 13.405, 52.52 + 0.0045, 13.405)).toBeCloseTo(500.4, 0);
  });

  it('a circle\'s box holds its whole edge, wider in longitude away from the equator', () => {
    const b = shapeBounds(circle);
    for (let deg = 0; deg < 360; deg += 15) {
      // A point on the edge, 499.9 m away in direction `deg`.
      const dLat = (499.9 / 111_195) * Math.cos((deg * Math.PI) / 180);
      const dLon = (499.9 / (111_195 * Math.cos((52.52 * Math.PI) / 180))) * Math.sin((deg * Math.PI) / 180);
      const [lat, lon] = [52.52 + dLat, 13.405 + dLon];
      expect(shapeContains(circle, lat, lon), `edge at ${deg}°`).toBe(true);
      expect(lat >= b.minY && lat <= b.maxY && lon >= b.minX && lon <= b.maxX, `box at ${deg}°`).toBe(true);
    }
  });

  it('a circle across the antimeridian takes every longitude', () => {
    expect(shapeBounds({ type: 'circle', center: { lat: 0, lon: 179.999 }, radiusM: 1_000 })).toMatchObject({ minX: -180, maxX: 180 });
  });

  it('a polygon with a hole: inside, in the hole, on the edge, outside', () => {
    const withHole: LandmarkShape = { type: 'polygon', coordinates: [square[0] as [number, number][], [[13.02, 52.02], [13.05, 52.02], [13.05, 52.05], [13.02, 52.02]]] };
    expect(shapeContains(withHole, 52.08, 13.08)).toBe(true);
    expect(shapeContains(withHole, 52.025, 13.04)).toBe(false);
    expect(shapeContains(withHole, 52, 13.05)).toBe(true);
    expect(shapeContains(withHole, 52.2, 13.05)).toBe(false);
    expect(shapeBounds(withHole)).toEqual({ minX: 13, minY: 52, maxX: 13.1, maxY: 52.1 });
  });
});

describe('LandmarkIndex', () => {
  const lm = (id: string, accountId: string, shape: LandmarkShape): Landmark => ({ id, accountId, name: id, shape, createdAt: 'x', updatedAt: 'x', revision: 1 });
  const depot = lm('lm_depot', 'acc_a', { type: 'circle', center: { lat: 52.05, lon: 13.05 }, radiusM: 1_000 });
  const area = lm('lm_area', 'acc_a', { type: 'polygon', coordinates: square as [number, number][][] });
  const theirs = lm('lm_theirs', 'acc_b', { type: 'polygon', coordinates: square as [number, number][][] });

  it('finds an account\'s landmarks at a position, never another account\'s', () => {
    const index = new LandmarkIndex();
    [depot, area, theirs].forEach((l) => index.upsert(l));
    const ids = (accountId: string, lat: number, lon: number): string[] => index.lookup(accountId).containing(lat, lon).map((h) => h.id).sort();
    expect(ids('acc_a', 52.05, 13.05)).toEqual(['lm_area', 'lm_depot']);
    expect(ids('acc_a', 52.09, 13.09)).toEqual(['lm_area']);
    expect(ids('acc_a', 53, 13)).toEqual([]);
    expect(ids('acc_b', 52.05, 13.05)).toEqual(['lm_theirs']);
    expect(ids('acc_c', 52.05, 13.05)).toEqual([]);
    expect(index.lookup('acc_a').exists('lm_theirs')).toBe(false);
  });

  it('an update moves a landmark; a removal forgets it', () => {
    const index = new LandmarkIndex();
    index.upsert(depot);
    index.upsert({ ...depot, shape: { type: 'circle', center: { lat: 40, lon: -3 }, radiusM: 100 }, revision: 2 });
    expect(index.lookup('acc_a').containing(52.05, 13.05)).toEqual([]);
    expect(index.lookup('acc_a').containing(40, -3)).toEqual([{ id: 'lm_depot', name: 'lm_depot' }]);
    index.remove('lm_depot');
    index.remove('lm_unknown');
    expect(index.lookup('acc_a').containing(40, -3)).toEqual([]);
    expect(index.lookup('acc_a').exists('lm_depot')).toBe(false);
    expect(index.size).toBe(0);
  });
});

describe('landmark records', () => {
  const landmark: Landmark = {
    id: 'lm_0mi0abcde0123456789abcdef', accountId: 'acc_a', name: 'Depot', shape: { type: 'polygon', coordinates: square as [number, number][][] },
    createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z', revision: 3,
  };

  it('round-trips', () => {
    expect(decodeLandmarkRecord(encodeLandmarkRecord(landmark))).toEqual({ kind: 'ok', landmark });
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /not an object/],
    ['a bad id', JSON.stringify({ ...landmark, id: 'sub_1' }), /id/],
    ['a bad shape', JSON.stringify({ ...landmark, shape: { type: 'circle' } }), /shape.center/],
    ['an extra field', JSON.stringify({ ...landmark, colour: 'red' }), /colour/],
  ])('refuses %s', (_name, text, reason) => {
    const decoded = decodeLandmarkRecord(Buffer.from(text));
    expect(decoded.kind).toBe('invalid');
    expect(decoded.kind === 'invalid' ? decoded.reason : '').toMatch(reason);
  });
});
