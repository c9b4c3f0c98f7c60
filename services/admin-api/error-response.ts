import { FleethookError, ValidationError } from '../shared/errors.js';
import type { FieldIssue } from '../shared/errors.js';
import { ApiError } from './api-error.js';
import type { ApiErrorCode } from './api-error.js';
import { InvalidShapeError } from './invalid-shape-error.js';
import { RateLimitedError } from './rate-limited-error.js';

export interface ErrorBody {
  readonly code: ApiErrorCode;
  readonly message: string;
  readonly field: string | null;
  /** The first `maxIssuesShown` field issues of a validation failure. */
  readonly issues?: readonly FieldIssue[];
  /** How many issues there were in all (more than `issues` holds when capped). */
  readonly issueCount?: number;
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  /** Whether the detail belongs in the log (unexpected failures). */
  readonly logDetail: boolean;
  /** Response headers the error calls for (`retry-after` on 429). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error body stays small whatever was sent: 5,000 unknown fields give ten issues and a count. */
export const maxIssuesShown = 10;
const issuesInMessage = 3;
/** Field paths carry client-chosen key names; a path or message longer than this is cut. */
export const maxErrorTextLength = 200;

/**
 * The one place errors become HTTP responses: `{ code, message, field }` (plus the first
 * field issues and their count for validation failures). A 5xx says nothing about the
 * cause; the log line written by the caller has it.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof ValidationError) return { status: 400, body: validationBody(err.issues), logDetail: false };
  if (err instanceof InvalidShapeError) return { status: 422, body: { ...validationBody(err.issues), code: err.apiCode }, logDetail: false };
  if (err instanceof RateLimitedError) {
    return { status: 429, body: { code: err.apiCode, message: cut(err.message), field: err.field }, logDetail: false, headers: { 'retry-after': String(err.retryAfterSeconds) } };
  }
  if (err instanceof ApiError) {
    return { status: err.status, body: { code: err.apiCode, message: cut(err.message), field: err.field === null ? null : cut(err.field) }, logDetail: false };
  }
  if (err instanceof FleethookError && err.code === 'COMPACTED_TOPIC_LAGGING') {
    return { status: 503, body: { code: 'unavailable', message: 'temporarily unavailable, retry shortly', field: null }, logDetail: true };
  }
  return { status: 500, body: { code: 'internal_error', message: 'internal error', field: null }, logDetail: true };
}

function validationBody(all: readonly FieldIssue[]): ErrorBody {
  const issues = all.slice(0, maxIssuesShown).map((i) => ({ field: cut(i.field), message: cut(i.message) }));
  const summary = issues.slice(0, issuesInMessage).map((i) => `${i.field}: ${i.message}`).join('; ');
  const more = all.length > issuesInMessage ? ` (and ${all.length - issuesInMessage} more)` : '';
  return { code: 'validation_failed', message: `${summary || 'invalid value'}${more}`, field: issues[0]?.field ?? null, issues, issueCount: all.length };
}

function cut(text: string): string {
  return text.length > maxErrorTextLength ? `${text.slice(0, maxErrorTextLength - 1)}…` : text;
}
