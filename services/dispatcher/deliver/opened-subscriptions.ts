import type { SecretBox } from '../../shared/secret-box.js';
import { openSubscription } from '../../shared/subscriptions/seal-subscription.js';
import type { StoredSubscription, Subscription } from '../../shared/subscriptions/subscription-types.js';

/**
 * Subscriptions with their secrets opened (AES-GCM) once per revision rather than on
 * every request. Plaintext stays in this process's memory only; it is never logged.
 */
export class OpenedSubscriptions {
  private readonly cache = new Map<string, { readonly revision: number; readonly sub: Subscription }>();

  constructor(private readonly box: SecretBox) {}

  get(stored: StoredSubscription): Subscription {
    const hit = this.cache.get(stored.id);
    if (hit !== undefined && hit.revision === stored.revision) return hit.sub;
    const sub = openSubscription(this.box, stored);
    this.cache.set(stored.id, { revision: stored.revision, sub });
    return sub;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }
}
