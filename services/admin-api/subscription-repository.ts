import type { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import type { SubscriptionWriter, WrittenPosition } from '../shared/subscriptions/subscription-writer.js';
import type { StoredSubscription } from '../shared/subscriptions/subscription-types.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';

/**
 * Reads and writes subscriptions with read-your-writes on every instance:
 * - a write produces the record and waits until this instance's catalogue has applied
 *   that exact offset, then answers from the catalogue;
 * - a read first catches up to the topic's latest offsets (one ListOffsets call), so a
 *   change made through another instance is visible as soon as that instance answered.
 * Writes to one subscription are serialised on this instance. Across instances, two
 * concurrent changes of the same subscription are last-writer-wins (an admin API's
 * traffic makes that rare; the record's `revision` shows which won).
 */
export class SubscriptionRepository {
  /** Writes per subscription id, and creates per `account:<id>`, one at a time on this instance. */
  private readonly mutex = new KeyedSerialQueue<string>();

  constructor(
    private readonly catalogue: SubscriptionCatalogue,
    private readonly writer: SubscriptionWriter,
    private readonly timeoutMs: number,
  ) {}

  async find(principal: Principal, id: string): Promise<StoredSubscription> {
    await this.catalogue.catchUp(this.timeoutMs);
    return this.owned(principal, id);
  }

  async list(principal: Principal, accountFilter: string | null): Promise<StoredSubscription[]> {
    await this.catalogue.catchUp(this.timeoutMs);
    const accountId = principal.kind === 'account' ? principal.accountId : accountFilter;
    return this.catalogue.list().filter((s) => accountId === null || s.accountId === accountId);
  }

  /**
   * Writes a new subscription unless its account already holds `maxPerAccount`. Creates
   * for one account are serialised on this instance, so they cannot all see room for one
   * more; two instances creating for the same account at the same moment may overshoot by one each.
   */
  async insert(sub: StoredSubscription, maxPerAccount: number): Promise<StoredSubscription> {
    return this.mutex.run(`account:${sub.accountId}`, async () => {
      await this.catalogue.catchUp(this.timeoutMs);
      const held = this.catalogue.list().filter((s) => s.accountId === sub.accountId).length;
      if (held >= maxPerAccount) {
        throw new ApiError('subscription_limit_reached', `the account already has ${held} subscriptions, the most allowed (${maxPerAccount}); delete one first`, 'accountId');
      }
      return this.mutex.run(sub.id, async () => this.applied(sub.id, await this.writer.put(sub)));
    });
  }

  /** Applies `change` to the current record; `change` may throw an ApiError to refuse. */
  async update(principal: Principal, id: string, change: (current: StoredSubscription) => StoredSubscription | Promise<StoredSubscription>): Promise<StoredSubscription> {
    return this.mutex.run(id, async () => {
      await this.catalogue.catchUp(this.timeoutMs);
      const current = this.owned(principal, id);
      const next = await change(current);
      if (next === current) return current;
      return this.applied(id, await this.writer.put({ ...next, revision: current.revision + 1 }));
    });
  }

  async remove(principal: Principal, id: string): Promise<void> {
    await this.mutex.run(id, async () => {
      await this.catalogue.catchUp(this.timeoutMs);
      this.owned(principal, id);
      const at = await this.writer.delete(id);
      await this.catalogue.waitForOffset(at.partition, at.offset, this.timeoutMs);
    });
  }

  private async applied(id: string, at: WrittenPosition): Promise<StoredSubscription> {
    await this.catalogue.waitForOffset(at.partition, at.offset, this.timeoutMs);
    const sub = this.catalogue.get(id);
    if (!sub) throw new ApiError('not_found', 'subscription not found');
    return sub;
  }

  /** Another account's subscription is indistinguishable from a missing one. */
  private owned(principal: Principal, id: string): StoredSubscription {
    const sub = this.catalogue.get(id);
    if (!sub || (principal.kind === 'account' && sub.accountId !== principal.accountId)) {
      throw new ApiError('not_found', `subscription ${id} not found`, 'id');
    }
    return sub;
  }
}
