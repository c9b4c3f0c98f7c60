/**
 * One matched telemetry item on `webhook.deliveries` (key = subscription id). It carries
 * its origin (telemetry topic, partition, offset) and the vehicle's `seq`, so order and
 * completeness can be checked end to end, and the record time, from which the end-to-end
 * latency is measured.
 *
 * Wire format 2: a JSON head line, `\n`, then the record exactly as the endpoint receives
 * it (JSON text). The record is serialised once when it is matched and spliced into
 * request bodies as text: it is never parsed or re-encoded on the way (decoding and
 * re-encoding it per item cost ~15 % of the dispatcher's CPU). JSON text never contains a
 * raw newline, so the first `\n` ends the head. Format 1 (one JSON object with `data`),
 * written by older instances, is still read.
 *
 * A `scheduled` item is written by the scheduler: one record per part of a slot (the
 * request it becomes), `slot` says which, `dataJson` holds the part's vehicle items joined
 * by commas (so it splices into `data` like one item), and `origin` is the slot's claim on
 * `scheduler.slots` with `partition` = the part number: a second copy of a part written
 * after a scheduler crash has the same origin and is skipped as a repeat.
 */
export const itemKinds = ['gps', 'dtc', 'event', 'scheduled'] as const;
export type ItemKind = (typeof itemKinds)[number];
/** The kinds the match stage writes from telemetry. */
export type TelemetryItemKind = Exclude<ItemKind, 'scheduled'>;

export interface ItemOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface DeliveryItem {
  readonly subscriptionId: string;
  readonly kind: ItemKind;
  readonly vehicleId: string;
  readonly seq: number | null;
  readonly recordTimeMs: number;
  readonly origin: ItemOrigin;
  /** The record came from a simulated vehicle (its `simulated` flag); absent for a real one. */
  readonly simulated?: boolean;
  /** A scheduled part: its slot (boundary, epoch ms) and part number; present exactly for kind `scheduled`. */
  readonly slot?: ScheduledSlotPart;
  /** The telemetry record as the endpoint receives it (JSON object text, ISO 8601 time, no null fields). */
  readonly dataJson: string;
}

export interface ScheduledSlotPart {
  readonly slotMs: number;
  readonly part: number;
}

export type DecodedItem = { readonly kind: 'item'; readonly item: DeliveryItem } | { readonly kind: 'invalid'; readonly reason: string };

const newline = 0x0a;

/** The head line of an item, without `dataJson` (which follows it as is). */
export function encodeItemHead(item: Omit<DeliveryItem, 'dataJson'>): string {
  const { subscriptionId, kind, vehicleId, seq, recordTimeMs, origin } = item;
  // Written only when true: a real vehicle's item is byte for byte what it was before the flag.
  return JSON.stringify({ v: 2, subscriptionId, kind, vehicleId, seq, recordTimeMs, origin, ...(item.simulated === true ? { simulated: true } : {}), ...(item.slot === undefined ? {} : { slot: item.slot }) });
}

/** `dataJson` is given separately so a record matched by many subscriptions is serialised once. */
export function encodeDeliveryItem(item: Omit<DeliveryItem, 'dataJson'>, dataJson: string): Buffer {
  return Buffer.from(`${encodeItemHead(item)}\n${dataJson}`, 'utf8');
}

/**
 * The items of one telemetry record for each subscription it matched: byte for byte what
 * `encodeDeliveryItem` writes, but the part after the subscription id (head and data) is
 * serialised once per record, not once per subscription (the match stage's hot path).
 */
export function itemEncoder(item: Omit<DeliveryItem, 'dataJson' | 'subscriptionId' | 'slot'>, dataJson: string): (subscriptionId: string) => Buffer {
  const { kind, vehicleId, seq, recordTimeMs, origin } = item;
  // The same keys in the same order as encodeItemHead, less `v` and `subscriptionId`, which lead.
  const rest = JSON.stringify({ kind, vehicleId, seq, recordTimeMs, origin, ...(item.simulated === true ? { simulated: true } : {}) }).slice(1);
  const tail = `,${rest}\n${dataJson}`;
  return (subscriptionId) => Buffer.from(`{"v":2,"subscriptionId":${JSON.stringify(subscriptionId)}${tail}`, 'utf8');
}

const itemKindSet: ReadonlySet<string> = new Set(itemKinds);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes a `webhook.deliveries` value; anything unexpected is `invalid` with the reason. */
export function decodeDeliveryItem(value: Buffer | null): DecodedItem {
  if (value === null) return { kind: 'invalid', reason: 'null value' };
  const split = value.indexOf(newline);
  const headText = value.toString('utf8', 0, split < 0 ? value.length : split);
  let raw: unknown;
  try {
    raw = JSON.parse(headText);
  } catch {
    return { kind: 'invalid', reason: 'value is not JSON' };
  }
  if (!isObject(raw)) return { kind: 'invalid', reason: 'not a delivery item' };
  let dataJson: string;
  if (raw.v === 2 && split >= 0) {
    dataJson = value.toString('utf8', split + 1);
    // Written by the dispatcher itself; a cheap shape check, not a parse.
    if (!dataJson.startsWith('{') || !dataJson.endsWith('}')) return { kind: 'invalid', reason: 'data is not an object' };
  } else if (raw.v === 1 && split < 0) {
    if (!isObject(raw.data)) return { kind: 'invalid', reason: 'data is not an object' };
    dataJson = JSON.stringify(raw.data);
  } else {
    return { kind: 'invalid', reason: 'not a version 1 or 2 delivery item' };
  }
  return decodeHead(raw, dataJson);
}

function decodeHead(raw: Record<string, unknown>, dataJson: string): DecodedItem {
  const { subscriptionId, kind, vehicleId, seq, recordTimeMs, origin, simulated, slot } = raw;
  if (typeof subscriptionId !== 'string' || typeof vehicleId !== 'string') return { kind: 'invalid', reason: 'subscriptionId/vehicleId missing' };
  if (typeof kind !== 'string' || !itemKindSet.has(kind)) return { kind: 'invalid', reason: `unknown kind ${String(kind)}` };
  if (typeof recordTimeMs !== 'number' || !(seq === null || typeof seq === 'number')) return { kind: 'invalid', reason: 'recordTimeMs/seq malformed' };
  if (!isObject(origin) || typeof origin.topic !== 'string' || typeof origin.partition !== 'number' || typeof origin.offset !== 'string') {
    return { kind: 'invalid', reason: 'origin malformed' };
  }
  const slotPart = kind === 'scheduled' ? decodeSlot(slot) : undefined;
  if (kind === 'scheduled' && slotPart === undefined) return { kind: 'invalid', reason: 'slot malformed' };
  // Built without spreads: this runs once per item read (a few % of the dispatcher's CPU).
  const item: { -readonly [K in keyof DeliveryItem]: DeliveryItem[K] } = {
    subscriptionId, kind: kind as ItemKind, vehicleId, seq, recordTimeMs,
    origin: { topic: internTopic(origin.topic), partition: origin.partition, offset: origin.offset }, dataJson,
  };
  if (simulated === true) item.simulated = true;
  if (slotPart !== undefined) item.slot = slotPart;
  return { kind: 'item', item };
}

/** Origin topics are a handful of names: one string each, not one per item held in memory. */
const topicNames = new Map<string, string>();

function internTopic(topic: string): string {
  const known = topicNames.get(topic);
  if (known !== undefined) return known;
  if (topicNames.size < 1_000) topicNames.set(topic, topic);
  return topic;
}

function decodeSlot(slot: unknown): ScheduledSlotPart | undefined {
  if (!isObject(slot) || !Number.isSafeInteger(slot.slotMs) || !Number.isSafeInteger(slot.part) || (slot.part as number) < 0) return undefined;
  return { slotMs: slot.slotMs as number, part: slot.part as number };
}
