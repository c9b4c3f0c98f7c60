import { ValidationError } from '../shared/errors.js';
import { isAccountId } from '../shared/subscriptions/subscription-ids.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';

/**
 * Takes `accountId` off a create body: an account key may leave it out or name its own
 * account (another is a 403); the operator key must name one.
 */
export function splitAccount(principal: Principal, body: unknown, what: 'subscriptions' | 'landmarks'): { accountId: string; rest: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { accountId: '', rest: body };
  const { accountId, ...rest } = body as Record<string, unknown>;
  if (principal.kind === 'account' && accountId === undefined) return { accountId: principal.accountId, rest };
  if (typeof accountId !== 'string' || !isAccountId(accountId)) {
    const message = principal.kind === 'operator' ? 'operators must name the account (acc_…)' : 'must be an account id (acc_…)';
    throw new ValidationError([{ field: 'accountId', message }]);
  }
  if (principal.kind === 'account' && accountId !== principal.accountId) throw new ApiError('forbidden', `an account key can only create ${what} of its own account`, 'accountId');
  return { accountId, rest };
}
