import { isAlertAddressConfirmed, pendingAddressForToken } from '../shared/subscriptions/alert-email-confirmations.js';
import type { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import type { StoredSubscription } from '../shared/subscriptions/subscription-types.js';

export type ConfirmationCheck = 'confirmed' | 'unconfirmed' | 'unknown';

/**
 * Which alert addresses their holders confirmed, read from the subscription catalogue
 * (the compacted subscriptions topic, materialised in memory). A negative answer is
 * checked again after catching up with the topic, so a confirmation made a moment ago
 * counts; if the catalogue cannot catch up the answer is `unknown` and the caller retries.
 * With confirmation not required (operator setting) every address passes.
 */
export class ConfirmedAddresses {
  constructor(private readonly catalogue: Pick<SubscriptionCatalogue, 'get' | 'catchUp'> | null, private readonly catchUpMs: number) {}

  get required(): boolean {
    return this.catalogue !== null;
  }

  async check(subscriptionId: string, address: string): Promise<ConfirmationCheck> {
    return this.withCatchUp(subscriptionId, (sub) => isAlertAddressConfirmed(sub, address), 'confirmed', 'unconfirmed');
  }

  /** Whether a confirmation request still matches a pending address of its subscription (not removed, replaced or forged). */
  async requestIsCurrent(subscriptionId: string, token: string, nowMs: number): Promise<'current' | 'stale' | 'unknown'> {
    return this.withCatchUp(subscriptionId, (sub) => pendingAddressForToken(sub, token, nowMs) !== null, 'current', 'stale');
  }

  private async withCatchUp<Y extends string, N extends string>(subscriptionId: string, test: (sub: StoredSubscription) => boolean, yes: Y, no: N): Promise<Y | N | 'unknown'> {
    const catalogue = this.catalogue;
    if (catalogue === null) return yes;
    const holds = (): boolean => {
      const sub = catalogue.get(subscriptionId);
      return sub !== undefined && test(sub);
    };
    if (holds()) return yes;
    try {
      await catalogue.catchUp(this.catchUpMs);
    } catch {
      return 'unknown';
    }
    return holds() ? yes : no;
  }
}
