import { ValidationError } from '../shared/errors.js';
import { ApiError } from './api-error.js';
import type { FieldIssue } from '../shared/errors.js';
import { isAccountId, isSubscriptionId } from '../shared/subscriptions/subscription-ids.js';
import type { Principal } from './authenticate.js';

export interface ListQuery {
  readonly limit: number;
  /** The last id of the previous page; the next page starts after it. */
  readonly cursor: string | null;
  readonly accountId: string | null;
}

export const maxPageSize = 200;
const defaultPageSize = 50;

const allowed = ['limit', 'cursor', 'accountId'];

/** What a cursor must look like: the id of the listed kind. */
export interface CursorRule {
  readonly test: (cursor: string) => boolean;
  readonly hint: string;
}
const subscriptionCursor: CursorRule = { test: isSubscriptionId, hint: 'a subscription id' };

/**
 * `?limit=1..200&cursor=sub_…&accountId=acc_…`; anything else is refused. An account key
 * may name only its own account (another is a 403); the operator filters by any.
 */
export function decodeListQuery(query: URLSearchParams, principal: Principal, cursorRule: CursorRule = subscriptionCursor): ListQuery {
  const issues: FieldIssue[] = [];
  for (const key of new Set(query.keys())) {
    if (!allowed.includes(key)) issues.push({ field: `query.${key}`, message: 'unknown query parameter' });
    else if (query.getAll(key).length > 1) issues.push({ field: `query.${key}`, message: 'given more than once' });
  }
  const limitText = query.get('limit');
  const limit = limitText === null ? defaultPageSize : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > maxPageSize) {
    issues.push({ field: 'query.limit', message: `must be an integer between 1 and ${maxPageSize}` });
  }
  const cursor = query.get('cursor');
  if (cursor !== null && !cursorRule.test(cursor)) issues.push({ field: 'query.cursor', message: `must be ${cursorRule.hint} from nextCursor` });
  const accountId = query.get('accountId');
  if (accountId !== null && !isAccountId(accountId)) issues.push({ field: 'query.accountId', message: 'must be an account id (acc_…)' });
  if (issues.length > 0) throw new ValidationError(issues);
  if (principal.kind === 'account' && accountId !== null && accountId !== principal.accountId) {
    throw new ApiError('forbidden', 'an account key can only list its own account', 'query.accountId');
  }
  return { limit, cursor, accountId };
}
