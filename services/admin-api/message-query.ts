import { ValidationError } from '../shared/errors.js';
import type { FieldIssue } from '../shared/errors.js';
import { ApiError } from './api-error.js';
import type { MessageFilter } from './message-log-index.js';

export const maxMessagePage = 100;
const defaultMessagePage = 50;
const allowed = ['since', 'until', 'status', 'cursor', 'limit'];
export const messageStatuses = ['delivered', 'failed'] as const;
/** RFC 3339 date-time with a zone, in ranges Date.parse accepts (every match parses). Also the OpenAPI pattern. */
export const dateTimePattern = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
/** The cursor's syntax (also the OpenAPI pattern); what it holds is checked apart (422). */
export const cursorPattern = /^[A-Za-z0-9_-]{1,400}$/;
const cursorVersion = 'm1';

/** The opaque page cursor: the subscription and the first offset of the last message shown. */
export function encodeMessageCursor(subscriptionId: string, before: bigint): string {
  return Buffer.from(`${cursorVersion}|${subscriptionId}|${before}`, 'utf8').toString('base64url');
}

function decodeCursor(text: string, subscriptionId: string): bigint | string {
  const [version, sub, offset, ...rest] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (version !== cursorVersion || rest.length > 0 || offset === undefined || !/^\d{1,19}$/.test(offset)) return 'must be the nextCursor of a previous page';
  if (sub !== subscriptionId) return 'is the cursor of another subscription\'s list';
  return BigInt(offset);
}

function decodeTime(query: URLSearchParams, name: string, issues: FieldIssue[]): number | null {
  const text = query.get(name);
  if (text === null) return null;
  const ms = Date.parse(text);
  if (!dateTimePattern.test(text) || !Number.isFinite(ms) || !isCalendarDate(text)) {
    issues.push({ field: `query.${name}`, message: 'must be an RFC 3339 date-time with a zone, e.g. 2026-12-01T10:00:00Z' });
    return null;
  }
  return ms;
}

/** Date.parse rolls 2026-06-31 over to July 1st; RFC 3339 (and the OpenAPI `date-time` format) refuse it. */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `?since=&until=&status=delivered|failed&cursor=&limit=1..100`; every problem is reported by its field. */
export function decodeMessageQuery(query: URLSearchParams, subscriptionId: string): MessageFilter {
  const issues: FieldIssue[] = [];
  for (const key of new Set(query.keys())) {
    if (!allowed.includes(key)) issues.push({ field: `query.${key}`, message: 'unknown query parameter' });
    else if (query.getAll(key).length > 1) issues.push({ field: `query.${key}`, message: 'given more than once' });
  }
  const sinceMs = decodeTime(query, 'since', issues);
  const untilMs = decodeTime(query, 'until', issues);
  const statusText = query.get('status');
  const status = messageStatuses.find((s) => s === statusText) ?? null;
  if (statusText !== null && status === null) issues.push({ field: 'query.status', message: `must be one of ${messageStatuses.join(', ')}` });
  const limitText = query.get('limit');
  const limit = limitText === null ? defaultMessagePage : Number(limitText);
  if (!/^\d{1,4}$/.test(limitText ?? '1') || limit < 1 || limit > maxMessagePage) issues.push({ field: 'query.limit', message: `must be an integer between 1 and ${maxMessagePage}` });
  const cursorText = query.get('cursor');
  if (cursorText !== null && !cursorPattern.test(cursorText)) issues.push({ field: 'query.cursor', message: 'must be the nextCursor of a previous page' });
  if (issues.length > 0) throw new ValidationError(issues);
  // Well formed but refused (422): what a schema cannot say.
  if (sinceMs !== null && untilMs !== null && untilMs < sinceMs) throw new ApiError('invalid_query', 'until must not be before since', 'query.until');
  const cursor = cursorText === null ? null : decodeCursor(cursorText, subscriptionId);
  if (typeof cursor === 'string') throw new ApiError('invalid_query', `cursor ${cursor}`, 'query.cursor');
  return { sinceMs, untilMs, status, before: typeof cursor === 'bigint' ? cursor : null, limit };
}
