import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import type { SubscriptionAlertState } from './decide-alerts.js';

/**
 * The alert state of every subscription on the partitions this instance owns, rebuilt from
 * the failure events of those partitions, plus one lock per partition so that the event
 * handler and the reminder timer never work on the same partition at once.
 */
export class PartitionAlertStates {
  private readonly byPartition = new Map<number, Map<string, SubscriptionAlertState>>();
  private readonly locks = new KeyedSerialQueue<number>();

  get(partition: number, subscriptionId: string): SubscriptionAlertState | undefined {
    return this.byPartition.get(partition)?.get(subscriptionId);
  }

  set(partition: number, subscriptionId: string, state: SubscriptionAlertState): void {
    let states = this.byPartition.get(partition);
    if (states === undefined) {
      states = new Map();
      this.byPartition.set(partition, states);
    }
    states.set(subscriptionId, state);
  }

  /** Forgets a partition this instance no longer owns (its new owner rebuilds it). */
  drop(partition: number): void {
    this.byPartition.delete(partition);
  }

  /** Subscription ids of the failing subscriptions on one partition. */
  failingOn(partition: number): string[] {
    return [...(this.byPartition.get(partition) ?? new Map<string, SubscriptionAlertState>())]
      .filter(([, s]) => s.kind === 'failing')
      .map(([id]) => id);
  }

  failingCount(): number {
    let n = 0;
    for (const p of this.byPartition.keys()) n += this.failingOn(p).length;
    return n;
  }

  /** Runs `task` once every earlier task of the partition has finished. */
  exclusive<T>(partition: number, task: () => Promise<T>): Promise<T> {
    return this.locks.run(partition, task);
  }

  isLocked(partition: number): boolean {
    return this.locks.isActive(partition);
  }
}
