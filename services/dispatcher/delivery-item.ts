/**
 * One matched telemetry item on `webhook.deliveries` (JSON value, key = subscription id).
 * It carries its origin (telemetry topic, partition, offset) and the vehicle's `seq`, so
 * order and completeness can be checked end to end, and the record time, from which the
 * end-to-end latency is measured.
 */
export const itemKinds = ['gps', 'dtc', 'event'] as const;
export type ItemKind = (typeof itemKinds)[number];

export interface ItemOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface DeliveryItem {
  readonly v: 1;
  readonly subscriptionId: string;
  readonly kind: ItemKind;
  readonly vehicleId: string;
  readonly seq: number | null;
  readonly recordTimeMs: number;
  readonly origin: ItemOrigin;
  /** The telemetry record as the endpoint receives it (time as ISO 8601, no null fields). */
  readonly data: Readonly<Record<string, unknown>>;
}

export type DecodedItem = { readonly kind: 'item'; readonly item: DeliveryItem } | { readonly kind: 'invalid'; readonly reason: string };

export function encodeDeliveryItem(item: DeliveryItem): Buffer {
  return Buffer.from(JSON.stringify(item), 'utf8');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes a `webhook.deliveries` value; anything unexpected is `invalid` with the reason. */
export function decodeDeliveryItem(value: Buffer | null): DecodedItem {
  if (value === null) return { kind: 'invalid', reason: 'null value' };
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'value is not JSON' };
  }
  if (!isObject(raw) || raw.v !== 1) return { kind: 'invalid', reason: 'not a version 1 delivery item' };
  const { subscriptionId, kind, vehicleId, seq, recordTimeMs, origin, data } = raw;
  if (typeof subscriptionId !== 'string' || typeof vehicleId !== 'string') return { kind: 'invalid', reason: 'subscriptionId/vehicleId missing' };
  if (typeof kind !== 'string' || !(itemKinds as readonly string[]).includes(kind)) return { kind: 'invalid', reason: `unknown kind ${String(kind)}` };
  if (typeof recordTimeMs !== 'number' || !(seq === null || typeof seq === 'number')) return { kind: 'invalid', reason: 'recordTimeMs/seq malformed' };
  if (!isObject(origin) || typeof origin.topic !== 'string' || typeof origin.partition !== 'number' || typeof origin.offset !== 'string') {
    return { kind: 'invalid', reason: 'origin malformed' };
  }
  if (!isObject(data)) return { kind: 'invalid', reason: 'data is not an object' };
  return {
    kind: 'item',
    item: {
      v: 1, subscriptionId, kind: kind as ItemKind, vehicleId, seq, recordTimeMs,
      origin: { topic: origin.topic, partition: origin.partition, offset: origin.offset }, data,
    },
  };
}
