import { ValidationError } from '../shared/errors.js';
import { ApiError } from './api-error.js';

export interface ReplayWindowRequest {
  readonly fromMs: number;
  /** `to`, or now when left out (a `to` in the future is now: a replay covers what exists). */
  readonly toMs: number;
}

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * `POST /v1/subscriptions/:id/replays` body (pure): `{ from, to? }`, ISO 8601 times with a
 * zone. A malformed body is a 400 naming the field; `from` after `to` is a 422 naming `from`.
 */
export function decodeReplayRequest(body: unknown, nowMs: number): ReplayWindowRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  const { from, to, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ValidationError([{ field: unknown, message: 'is not a known field' }]);
  const fromMs = time('from', from);
  if (fromMs === undefined) throw new ValidationError([{ field: 'from', message: 'is required: an ISO 8601 time, e.g. 2026-01-01T08:00:00Z' }]);
  const toMs = Math.min(time('to', to) ?? nowMs, nowMs);
  if (fromMs > toMs) throw new ApiError('invalid_range', `from (${new Date(fromMs).toISOString()}) is after to (${new Date(toMs).toISOString()})`, 'from');
  return { fromMs, toMs };
}

function time(field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' && isoTime.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ValidationError([{ field, message: 'must be an ISO 8601 time with a zone, e.g. 2026-01-01T08:00:00Z' }]);
  return ms;
}
