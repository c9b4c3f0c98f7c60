import type { FieldIssue } from '../errors.js';
import { FieldReader, readJsonRecord } from '../field-reader.js';
import { decodeLandmarkShape } from './decode-landmark-shape.js';
import { landmarkIdPattern } from './landmark-types.js';
import type { Landmark } from './landmark-types.js';

export type DecodedLandmarkRecord =
  | { readonly kind: 'ok'; readonly landmark: Landmark }
  | { readonly kind: 'invalid'; readonly reason: string };

/** A landmark as the value of its record on the landmark topic (JSON, key = id). */
export function encodeLandmarkRecord(landmark: Landmark): Buffer {
  const { id, accountId, name, shape, createdAt, updatedAt, revision } = landmark;
  return Buffer.from(JSON.stringify({ id, accountId, name, shape, createdAt, updatedAt, revision }), 'utf8');
}

/** Reads a record back; anything malformed is `invalid` with the reason (readers skip and log it). */
export function decodeLandmarkRecord(value: Buffer): DecodedLandmarkRecord {
  const read = readJsonRecord(value, readLandmark);
  return read.kind === 'ok' ? { kind: 'ok', landmark: read.value } : read;
}

function readLandmark(r: FieldReader, issues: FieldIssue[]): Landmark | undefined {
  const id = r.string('id', { max: 64, pattern: landmarkIdPattern });
  const accountId = r.string('accountId', { max: 128 });
  const name = r.string('name', { max: 1_000 });
  const createdAt = r.string('createdAt', { max: 64 });
  const updatedAt = r.string('updatedAt', { max: 64 });
  const revision = r.number('revision', { integer: true, min: 1 });
  // Its geometry was checked when it was written (checkShapeGeometry is quadratic in the positions).
  const shape = decodeLandmarkShape(r.raw('shape'), 'shape', issues);
  r.rejectUnknown();
  if (id === undefined || accountId === undefined || name === undefined || createdAt === undefined || updatedAt === undefined || revision === undefined || shape === undefined) return undefined;
  return { id, accountId, name, shape, createdAt, updatedAt, revision };
}
