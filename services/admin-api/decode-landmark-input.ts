import type { FieldIssue } from '../shared/errors.js';
import { FieldReader } from '../shared/field-reader.js';
import { decodeLandmarkShape } from '../shared/landmarks/decode-landmark-shape.js';
import { landmarkLimits } from '../shared/landmarks/landmark-types.js';
import type { LandmarkShape } from '../shared/landmarks/landmark-types.js';
import { textRules } from '../shared/subscriptions/text-rules.js';

export interface LandmarkInput {
  readonly name?: string;
  readonly shape?: LandmarkShape;
}

export type DecodedLandmarkInput = { readonly kind: 'ok'; readonly value: LandmarkInput } | { readonly kind: 'invalid'; readonly issues: readonly FieldIssue[] };

const strict = { rejectNull: true, quoteStrings: false } as const;

/**
 * A landmark create (name and shape required) or patch (at least one of them) body;
 * `accountId` is taken off before, as for subscriptions. Every problem is reported with
 * its path (`shape.coordinates[0][3][1]`).
 */
export function decodeLandmarkInput(body: unknown, creating: boolean): DecodedLandmarkInput {
  const issues: FieldIssue[] = [];
  const r = FieldReader.of(body, '', issues, strict);
  if (!r) return { kind: 'invalid', issues };
  const name = r.string('name', { required: creating, max: landmarkLimits.maxNameLength, pattern: textRules.plainText, patternHint: 'must not contain control characters' });
  // `raw` leaves null to the caller: here it is a bad shape, not an absent one.
  const rawShape = r.raw('shape');
  let shape: LandmarkShape | undefined;
  if (rawShape !== undefined) shape = decodeLandmarkShape(rawShape, 'shape', issues);
  else if (creating) issues.push({ field: 'shape', message: 'is required' });
  r.rejectUnknown();
  if (!creating && issues.length === 0 && name === undefined && shape === undefined) issues.push({ field: '(body)', message: 'must change name or shape' });
  if (issues.length > 0) return { kind: 'invalid', issues };
  return { kind: 'ok', value: { ...(name === undefined ? {} : { name }), ...(shape === undefined ? {} : { shape }) } };
}
