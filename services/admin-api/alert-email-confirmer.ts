import type { FieldIssue } from '../shared/errors.js';
import { ValidationError } from '../shared/errors.js';
import { FieldReader } from '../shared/field-reader.js';
import { normalizeAddress, pendingAddressForToken, subscriptionIdOfToken } from '../shared/subscriptions/alert-email-confirmations.js';
import type { StoredSubscription } from '../shared/subscriptions/subscription-types.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import type { SubscriptionRepository } from './subscription-repository.js';

export interface LinkConfirmation {
  readonly subscriptionId: string;
  readonly subscriptionName: string;
  readonly address: string;
  readonly state: 'confirmed';
}

const refusal = (): ApiError => new ApiError('not_found', 'unknown, expired or already used confirmation token', 'token');
/** To the owner, whose subscription exists: the code is not one of its pending addresses'. */
const codeRefused = (): ApiError => new ApiError('invalid_confirmation_code', 'unknown, expired or already used confirmation code', 'token');

/** What a confirmation token looks like (`<subscription id>.<base64url>`); anything else is a malformed request. */
export const confirmationTokenPattern = /^[A-Za-z0-9_.-]{1,200}$/;

export function checkTokenSyntax(token: string): void {
  if (!confirmationTokenPattern.test(token)) throw new ApiError('invalid_request', 'token is not a confirmation token', 'token');
}

/**
 * Confirms an alert address with the token its confirmation e-mail carried: the address
 * holder through the link (no API key; the token is the proof), or the owner pasting the
 * code through the API. A bad, expired, used or foreign token is one and the same 404, so
 * the answer reveals nothing about which subscriptions or addresses exist.
 */
export class AlertEmailConfirmer {
  constructor(private readonly deps: { readonly repository: SubscriptionRepository; readonly now: () => Date }) {}

  async confirmByLink(token: string): Promise<LinkConfirmation> {
    checkTokenSyntax(token);
    const subscriptionId = subscriptionIdOfToken(token);
    if (subscriptionId === null) throw refusal();
    let address = '';
    const stored = await this.confirm({ kind: 'operator' }, subscriptionId, token, 'link', (a) => {
      address = a;
    });
    return { subscriptionId, subscriptionName: stored.name, address, state: 'confirmed' };
  }

  async confirmByOwner(principal: Principal, id: string, body: unknown): Promise<StoredSubscription> {
    const issues: FieldIssue[] = [];
    const r = FieldReader.of(body, '', issues);
    const token = r?.string('token', { min: 1, max: 200 });
    r?.rejectUnknown();
    if (issues.length > 0 || token === undefined) throw new ValidationError(issues.length > 0 ? issues : [{ field: 'token', message: 'is required' }]);
    if (!confirmationTokenPattern.test(token)) throw new ValidationError([{ field: 'token', message: 'is not a confirmation code' }]);
    await this.deps.repository.find(principal, id);
    if (subscriptionIdOfToken(token) !== id) throw codeRefused();
    return this.confirm(principal, id, token, 'owner', () => undefined);
  }

  private async confirm(principal: Principal, id: string, token: string, via: 'link' | 'owner', found: (address: string) => void): Promise<StoredSubscription> {
    try {
      return await this.deps.repository.update(principal, id, (current) => {
        const now = this.deps.now();
        const address = pendingAddressForToken(current, token, now.getTime());
        if (address === null) throw via === 'owner' ? codeRefused() : refusal();
        found(address);
        const confirmations = { ...current.alertEmailConfirmations, [normalizeAddress(address)]: { state: 'confirmed', confirmedAt: now.toISOString(), via } as const };
        return { ...current, alertEmailConfirmations: confirmations, updatedAt: now.toISOString() };
      });
    } catch (err) {
      // Through the link, a missing or foreign subscription looks exactly like a bad token.
      if (via === 'link' && err instanceof ApiError && err.apiCode === 'not_found') throw refusal();
      throw err;
    }
  }
}
