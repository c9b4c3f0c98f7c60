import type { OutgoingRecord } from '../shared/kafka/kafka-port.js';
import { chunkBySize } from '../shared/kafka-message-size.js';
import { encodeDeliveryItem } from '../shared/delivery-item.js';
import { scheduledItem } from '../shared/schedule/scheduled-item.js';
import { scheduledOptionsOf } from '../shared/subscriptions/subscription-types.js';
import type { Subscription } from '../shared/subscriptions/subscription-types.js';
import type { VehicleSnapshot } from '../shared/vehicles/vehicle-snapshot.js';
import { requestBudget } from './request-budget.js';
import { splitSlotRequests } from './split-slot-requests.js';

export interface SlotPartsInput {
  readonly sub: Pick<Subscription, 'id' | 'accountId' | 'source' | 'vehicleFilter' | 'batching' | 'contentType'>;
  /** The account's latest vehicle states. */
  readonly snapshots: readonly VehicleSnapshot[];
  readonly slotMs: number;
  /** The slot's claim on `scheduler.slots` (partition 0): every part's origin. */
  readonly claimTopic: string;
  readonly claimOffset: string;
  /** Real time: the parts' `recordTimeMs`. */
  readonly nowMs: number;
}

export interface SlotParts {
  readonly records: readonly OutgoingRecord[];
  /** Vehicles whose request alone would exceed 1 MiB (never in practice): left out of the slot, with the bytes it would take. */
  readonly leftOut: readonly { readonly vehicleId: string; readonly bytes: number }[];
}

/**
 * A slot's `webhook.deliveries` records (pure): the subscribed vehicles with a known state
 * (the vehicle filter, or every vehicle of the account), by vehicle id, each as its item
 * with the subscription's fields and units, cut into parts of at most `maxItems` items and
 * bodies of at most `maxRequestBytes` (head included, in the content type). One record per
 * part (kind `scheduled`, key = subscription id):
 * its `dataJson` is the part's items joined by commas, its origin the claim with
 * `partition` = part number. No vehicle, no record.
 */
export function slotParts(i: SlotPartsInput): SlotParts {
  const source = i.sub.source;
  if (source.kind !== 'scheduled') return { records: [], leftOut: [] };
  const options = scheduledOptionsOf(source);
  const wanted = i.sub.vehicleFilter === null ? null : new Set(i.sub.vehicleFilter.vehicleIds);
  const vehicles = i.snapshots
    .filter((s) => s.accountId === i.sub.accountId && (wanted === null || wanted.has(s.vehicleId)))
    .sort((a, b) => (a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : 0));
  const items = vehicles.map((s) => JSON.stringify(scheduledItem(s, options)));
  const split = splitSlotRequests(items, i.sub.batching.maxItems, requestBudget(i.sub, options.maxRequestBytes));
  const leftOut = new Set(split.leftOut.map((l) => l.index));
  const sent = vehicles.filter((_, n) => !leftOut.has(n));
  let first = 0;
  const records = split.parts.map((part, n) => {
    const of = sent.slice(first, first + part.length);
    first += part.length;
    const simulated = of.every((s) => s.mode === 'simulated');
    const value = encodeDeliveryItem({
      subscriptionId: i.sub.id, kind: 'scheduled', vehicleId: of[0]?.vehicleId ?? '', seq: null, recordTimeMs: i.nowMs,
      origin: { topic: i.claimTopic, partition: n, offset: i.claimOffset }, slot: { slotMs: i.slotMs, part: n }, ...(simulated ? { simulated: true } : {}),
    }, part.join(','));
    return { key: i.sub.id, value };
  });
  return { records, leftOut: split.leftOut.map((l) => ({ vehicleId: vehicles[l.index]?.vehicleId ?? '', bytes: l.bytes })) };
}

/**
 * The produce requests that write a slot's parts, in order (pure). A subscription's parts
 * all go to one partition, so one request would make one record batch of all of them, and
 * a topic's `max.message.bytes` bounds a batch, not a record: each request carries at most
 * 1 MiB of parts (a 1 MiB part alone). A crash between two requests leaves the slot
 * `claimed`; the next scheduler writes it again and the dispatcher skips the copies.
 */
export function slotWrites(records: readonly OutgoingRecord[]): OutgoingRecord[][] {
  return chunkBySize(records, slotWriteBudgetBytes);
}

const slotWriteBudgetBytes = 1_048_576;
