import type { OutgoingRecord } from '../shared/kafka/kafka-port.js';
import { encodeDeliveryItem } from '../shared/delivery-item.js';
import { scheduledItem } from '../shared/schedule/scheduled-item.js';
import { scheduledOptionsOf } from '../shared/subscriptions/subscription-types.js';
import type { Subscription } from '../shared/subscriptions/subscription-types.js';
import type { VehicleSnapshot } from '../shared/vehicles/vehicle-snapshot.js';
import { splitSlotRequests } from './split-slot-requests.js';

export interface SlotPartsInput {
  readonly sub: Pick<Subscription, 'id' | 'accountId' | 'source' | 'vehicleFilter' | 'batching'>;
  /** The account's latest vehicle states. */
  readonly snapshots: readonly VehicleSnapshot[];
  readonly slotMs: number;
  /** The slot's claim on `scheduler.slots` (partition 0): every part's origin. */
  readonly claimTopic: string;
  readonly claimOffset: string;
  /** Real time: the parts' `recordTimeMs`. */
  readonly nowMs: number;
}

export type SlotParts =
  | { readonly kind: 'parts'; readonly records: readonly OutgoingRecord[] }
  | { readonly kind: 'item_too_large'; readonly vehicleId: string; readonly bytes: number };

/**
 * A slot's `webhook.deliveries` records (pure): the subscribed vehicles with a known state
 * (the vehicle filter, or every vehicle of the account), by vehicle id, each as its item
 * with the subscription's fields and units, cut into parts of at most `maxItems` items and
 * `maxRequestBytes` of data. One record per part (kind `scheduled`, key = subscription id):
 * its `dataJson` is the part's items joined by commas, its origin the claim with
 * `partition` = part number. No vehicle, no record.
 */
export function slotParts(i: SlotPartsInput): SlotParts {
  const source = i.sub.source;
  if (source.kind !== 'scheduled') return { kind: 'parts', records: [] };
  const options = scheduledOptionsOf(source);
  const wanted = i.sub.vehicleFilter === null ? null : new Set(i.sub.vehicleFilter.vehicleIds);
  const vehicles = i.snapshots
    .filter((s) => s.accountId === i.sub.accountId && (wanted === null || wanted.has(s.vehicleId)))
    .sort((a, b) => (a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : 0));
  const items = vehicles.map((s) => JSON.stringify(scheduledItem(s, options)));
  const split = splitSlotRequests(items, i.sub.batching.maxItems, options.maxRequestBytes);
  if (split.kind === 'item_too_large') return { kind: 'item_too_large', vehicleId: vehicles[split.index]?.vehicleId ?? '', bytes: split.bytes };
  let first = 0;
  const records = split.parts.map((part, n) => {
    const of = vehicles.slice(first, first + part.length);
    first += part.length;
    const simulated = of.every((s) => s.mode === 'simulated');
    const value = encodeDeliveryItem({
      subscriptionId: i.sub.id, kind: 'scheduled', vehicleId: of[0]?.vehicleId ?? '', seq: null, recordTimeMs: i.nowMs,
      origin: { topic: i.claimTopic, partition: n, offset: i.claimOffset }, slot: { slotMs: i.slotMs, part: n }, ...(simulated ? { simulated: true } : {}),
    }, part.join(','));
    return { key: i.sub.id, value };
  });
  return { kind: 'parts', records };
}
