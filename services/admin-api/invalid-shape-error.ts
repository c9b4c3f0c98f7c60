import type { FieldIssue } from '../shared/errors.js';
import { ApiError } from './api-error.js';

/** A landmark shape that is well formed but no area (not closed, self-intersecting, …): 422 with every issue. */
export class InvalidShapeError extends ApiError {
  constructor(readonly issues: readonly FieldIssue[]) {
    super('invalid_shape', issues.map((i) => `${i.field}: ${i.message}`).join('; ') || 'invalid shape', issues[0]?.field ?? null);
    this.name = 'InvalidShapeError';
  }
}
