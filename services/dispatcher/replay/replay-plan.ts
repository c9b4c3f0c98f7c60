import { createHash } from 'node:crypto';
import type { DeliveryItem, ItemKind } from '../delivery-item.js';

/** One replay request: items of one partition's chunk, in offset order (GPS: of one vehicle). */
export interface ReplayRequestPlan {
  readonly webhookId: string;
  readonly kind: ItemKind;
  readonly items: readonly DeliveryItem[];
}

/**
 * A replay request's `webhook-id`: from the replay id and where its first item sits in the
 * telemetry topic. New ids (never a live request's), and the same again when a new owner
 * repeats the request that was in flight at a crash.
 */
export function replayWebhookId(replayId: string, first: DeliveryItem): string {
  const { topic, partition, offset } = first.origin;
  const digest = createHash('sha256').update(`replay/${replayId}/${topic}:${partition}:${offset}`).digest('base64url').slice(0, 24);
  return `msg_${digest}`;
}

/**
 * Cuts a chunk's matched items (one telemetry partition, offset order) into requests of at
 * most `maxItems` (pure, deterministic: the same chunk gives the same requests, so a
 * resume can skip the ones delivered). GPS requests carry one vehicle each, as live ones
 * do, taken in the order of each vehicle's first item; DTC and events keep the partition's
 * order across vehicles.
 */
export function planChunkRequests(replayId: string, kind: ItemKind, items: readonly DeliveryItem[], maxItems: number): ReplayRequestPlan[] {
  const size = Math.max(1, maxItems);
  const groups: DeliveryItem[][] = [];
  if (kind === 'gps') {
    const byVehicle = new Map<string, DeliveryItem[]>();
    for (const item of items) {
      const list = byVehicle.get(item.vehicleId);
      if (list === undefined) byVehicle.set(item.vehicleId, [item]);
      else list.push(item);
    }
    for (const list of byVehicle.values()) for (let i = 0; i < list.length; i += size) groups.push(list.slice(i, i + size));
  } else {
    for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  }
  return groups.map((g) => ({ webhookId: replayWebhookId(replayId, g[0] as DeliveryItem), kind, items: g }));
}

/** Offsets of one partition cut into chunks of `chunkSize` from `start` (pure): `[start, end)` of the next chunk. */
export function nextChunkEnd(start: bigint, end: bigint, chunkSize: number): bigint {
  const cut = start + BigInt(chunkSize);
  return cut < end ? cut : end;
}
