import { FleethookError, ValidationError } from '../shared/errors.js';
import type { FieldIssue } from '../shared/errors.js';
import { ApiError } from './api-error.js';
import { RateLimitedError } from './rate-limited-error.js';

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field: string | null;
  readonly issues?: readonly FieldIssue[];
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  /** Whether the detail belongs in the log (unexpected failures). */
  readonly logDetail: boolean;
  /** Response headers the error calls for (`retry-after` on 429). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The one place errors become HTTP responses: `{ code, message, field }` (plus every
 * field issue for validation failures). A 5xx says nothing about the cause; the log
 * line written by the caller has it.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof ValidationError) {
    return {
      status: 400,
      body: { code: 'validation_failed', message: err.message, field: err.field, issues: err.issues },
      logDetail: false,
    };
  }
  if (err instanceof RateLimitedError) {
    return { status: 429, body: { code: err.apiCode, message: err.message, field: err.field }, logDetail: false, headers: { 'retry-after': String(err.retryAfterSeconds) } };
  }
  if (err instanceof ApiError) {
    return { status: err.status, body: { code: err.apiCode, message: err.message, field: err.field }, logDetail: false };
  }
  if (err instanceof FleethookError && err.code === 'CATALOGUE_LAGGING') {
    return { status: 503, body: { code: 'unavailable', message: 'temporarily unavailable, retry shortly', field: null }, logDetail: true };
  }
  return { status: 500, body: { code: 'internal_error', message: 'internal error', field: null }, logDetail: true };
}
