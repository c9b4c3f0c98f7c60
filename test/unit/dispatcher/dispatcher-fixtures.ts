import type { PendingItem } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import type { DeliveryItem, ItemKind } from '../../../services/dispatcher/delivery-item.js';
import type { SealedSecret, StoredSubscription, Subscription, SubscriptionSource } from '../../../services/shared/subscriptions/subscription-types.js';

export function storedSub(overrides: Partial<StoredSubscription> & { source?: SubscriptionSource } = {}): StoredSubscription {
  return {
    id: 'sub_000000000aaaaaaaaaaaaaaaa', accountId: 'acc_alpha', state: 'active', url: 'https://hooks.example/x', name: 'n',
    source: { kind: 'gps' }, vehicleFilter: null, contentType: 'application/json', batching: { maxItems: 500, maxWaitMs: 5_000 },
    auth: { type: 'none' }, alertEmails: [], retryPolicy: 'standard-7d',
    signing: { current: 'sealed' as SealedSecret, previous: null, previousExpiresAt: null, rotatedAt: null },
    verifiedAt: null, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', revision: 1,
    ...overrides,
  };
}

export function plainSub(overrides: Partial<Subscription> = {}): Subscription {
  return {
    ...(storedSub() as unknown as Subscription),
    signing: { current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', previous: null, previousExpiresAt: null, rotatedAt: null },
    ...overrides,
  };
}

export function pending(offset: number, o: { sub?: string; vehicle?: string; kind?: ItemKind; partition?: number; seq?: number } = {}): PendingItem {
  const item: DeliveryItem = {
    subscriptionId: o.sub ?? 'sub_a', kind: o.kind ?? 'gps', vehicleId: o.vehicle ?? 'veh_1', seq: o.seq ?? offset,
    recordTimeMs: 1_700_000_000_000 + offset, origin: { topic: 'telemetry.gps', partition: 0, offset: String(offset) },
    dataJson: JSON.stringify({ vehicleId: o.vehicle ?? 'veh_1', seq: o.seq ?? offset }),
  };
  return { item, partition: o.partition ?? 0, offset };
}
