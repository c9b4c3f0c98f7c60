import { isUtf8 } from 'node:buffer';

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
const openBrace = 0x7b;
const closeBrace = 0x7d;

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
 * The items of one telemetry record for each subscription it matched, as text whose UTF-8
 * bytes are byte for byte what `encodeDeliveryItem` writes; the part after the subscription
 * id (head and data) is serialised once per record, not once per subscription (the match
 * stage's hot path). Text, not a Buffer: the producer writes it straight into the produce
 * request, so no Buffer is allocated and copied per item.
 */
export function itemEncoder(item: Omit<DeliveryItem, 'dataJson' | 'subscriptionId' | 'slot'>, dataJson: string): (subscriptionId: string) => string {
  const { kind, vehicleId, seq, recordTimeMs, origin } = item;
  // The same keys in the same order as encodeItemHead, less `v` and `subscriptionId`, which lead.
  // Two literals, no spread: a spread in a literal builds the object on V8's slow path (once per record).
  const head = item.simulated === true ? { kind, vehicleId, seq, recordTimeMs, origin, simulated: true } : { kind, vehicleId, seq, recordTimeMs, origin };
  const rest = JSON.stringify(head).slice(1);
  const tail = `,${rest}\n${dataJson}`;
  return (subscriptionId) => `{"v":2,"subscriptionId":${JSON.stringify(subscriptionId)}${tail}`;
}

const itemKindSet: ReadonlySet<string> = new Set(itemKinds);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes a `webhook.deliveries` value; anything unexpected is `invalid` with the reason. */
export function decodeDeliveryItem(value: Buffer | null): DecodedItem {
  return decode(value, false);
}

/**
 * `decodeDeliveryItem` for the live path: the same checks and the same item, but the data of
 * a version 2 item stays the bytes it was read as (the tail of `value`) instead of a string:
 * a request body copies them (`writeItemData`), and `dataJson` decodes them only when asked
 * (a form-encoded body). Items wait out their batch window in memory; holding their data as
 * bytes keeps it off the JS heap, so scavenges do not copy it, and the body is not
 * decoded and encoded again on the way.
 */
export function readDeliveryItem(value: Buffer | null): DecodedItem {
  return decode(value, true);
}

function decode(value: Buffer | null, asBytes: boolean): DecodedItem {
  if (value === null) return { kind: 'invalid', reason: 'null value' };
  const split = value.indexOf(newline);
  let raw: unknown = split < 0 ? undefined : parseWrittenHead(value, split);
  if (raw === undefined) {
    try {
      raw = JSON.parse(value.toString('utf8', 0, split < 0 ? value.length : split));
    } catch {
      return { kind: 'invalid', reason: 'value is not JSON' };
    }
  }
  if (!isObject(raw)) return { kind: 'invalid', reason: 'not a delivery item' };
  if (raw.v === 2 && split >= 0) {
    // Written by the dispatcher itself; a cheap shape check, not a parse. On the bytes: `{` and `}` are single
    // bytes in UTF-8, and bytes that are not UTF-8 (which a string would hold as U+FFFD) take the string path.
    if (asBytes && isUtf8(value.subarray(split + 1))) {
      if (value[split + 1] !== openBrace || value[value.length - 1] !== closeBrace) return { kind: 'invalid', reason: 'data is not an object' };
      return decodeHead(raw, { bytes: value, start: split + 1 });
    }
    const dataJson = value.toString('utf8', split + 1);
    if (!dataJson.startsWith('{') || !dataJson.endsWith('}')) return { kind: 'invalid', reason: 'data is not an object' };
    return decodeHead(raw, dataJson);
  }
  if (raw.v === 1 && split < 0) {
    if (!isObject(raw.data)) return { kind: 'invalid', reason: 'data is not an object' };
    return decodeHead(raw, JSON.stringify(raw.data));
  }
  return { kind: 'invalid', reason: 'not a version 1 or 2 delivery item' };
}

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const headParts = {
  start: ascii('{"v":2,"subscriptionId":"'), kind: ascii(',"kind":"'), vehicleId: ascii(',"vehicleId":"'), seq: ascii(',"seq":'),
  recordTimeMs: ascii(',"recordTimeMs":'), topic: ascii(',"origin":{"topic":"'), partition: ascii(',"partition":'), offset: ascii(',"offset":"'),
  simulated: ascii(',"simulated":true'), null: ascii('null'),
} as const;

/**
 * The head line of a version 2 item (`value` up to `end`) as `JSON.parse` reads it, for the
 * one shape this code writes (`encodeItemHead`, `itemEncoder`): these keys in this order, no
 * spaces, strings of printable ASCII without escapes, integers of at most 15 digits, and
 * `simulated: true` or nothing after the origin. Anything else (a slot, an escape, a byte
 * beyond ASCII, another order) is undefined, and `JSON.parse` reads it. Parsing the bytes
 * in place skips decoding the line to a string first (the live path reads every item).
 */
export function parseWrittenHead(value: Buffer, end: number): Record<string, unknown> | undefined {
  const r = new HeadReader(value, end);
  if (!r.literal(headParts.start)) return undefined;
  const subscriptionId = r.string();
  if (subscriptionId === undefined || !r.literal(headParts.kind)) return undefined;
  const kind = r.string();
  if (kind === undefined || !r.literal(headParts.vehicleId)) return undefined;
  const vehicleId = r.string();
  if (vehicleId === undefined || !r.literal(headParts.seq)) return undefined;
  const seq = r.literal(headParts.null) ? null : r.integer();
  if (seq === undefined || !r.literal(headParts.recordTimeMs)) return undefined;
  const recordTimeMs = r.integer();
  if (recordTimeMs === undefined || !r.literal(headParts.topic)) return undefined;
  const topic = r.string();
  if (topic === undefined || !r.literal(headParts.partition)) return undefined;
  const partition = r.integer();
  if (partition === undefined || !r.literal(headParts.offset)) return undefined;
  const offset = r.string();
  if (offset === undefined || value[r.at++] !== closeBrace) return undefined;
  const simulated = r.literal(headParts.simulated);
  if (value[r.at++] !== closeBrace || r.at !== end) return undefined;
  const origin = { topic, partition, offset };
  return simulated ? { v: 2, subscriptionId, kind, vehicleId, seq, recordTimeMs, origin, simulated: true } : { v: 2, subscriptionId, kind, vehicleId, seq, recordTimeMs, origin };
}

class HeadReader {
  at = 0;
  constructor(private readonly bytes: Buffer, private readonly end: number) {}

  /** Moves past `part` if the bytes here are exactly it. */
  literal(part: Buffer): boolean {
    if (this.at + part.length > this.end) return false;
    for (let i = 0; i < part.length; i++) if (this.bytes[this.at + i] !== part[i]) return false;
    this.at += part.length;
    return true;
  }

  /** The rest of a string whose opening quote was read: printable ASCII, no escape; moves past the closing quote. */
  string(): string | undefined {
    const from = this.at;
    for (let i = from; i < this.end; i++) {
      const c = this.bytes[i] as number;
      if (c === 0x22) {
        this.at = i + 1;
        return this.bytes.toString('latin1', from, i);
      }
      if (c === 0x5c || c < 0x20 || c > 0x7e) return undefined;
    }
    return undefined;
  }

  /** A JSON integer of 1 to 15 digits (no leading zero, fraction or exponent), which a double holds exactly. */
  integer(): number | undefined {
    const negative = this.bytes[this.at] === 0x2d;
    const from = negative ? this.at + 1 : this.at;
    let n = 0;
    let i = from;
    for (; i < this.end; i++) {
      const c = this.bytes[i] as number;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
    }
    const digits = i - from;
    if (digits === 0 || digits > 15 || (digits > 1 && this.bytes[from] === 0x30)) return undefined;
    const next = this.bytes[i];
    if (next === 0x2e || next === 0x65 || next === 0x45) return undefined;
    this.at = i;
    return negative ? -n : n;
  }
}

/** An item's data as UTF-8 bytes: `bytes` from `start` to the end. */
interface DataBytes {
  readonly bytes: Buffer;
  readonly start: number;
}

/** A delivery item whose data is held as the bytes it was read as (`readDeliveryItem`); its fields are a `DeliveryItem`'s. */
class ItemWithDataBytes implements DeliveryItem {
  declare simulated?: boolean;
  declare slot?: ScheduledSlotPart;
  readonly #bytes: Buffer;
  readonly #start: number;

  constructor(
    readonly subscriptionId: string,
    readonly kind: ItemKind,
    readonly vehicleId: string,
    readonly seq: number | null,
    readonly recordTimeMs: number,
    readonly origin: ItemOrigin,
    data: DataBytes,
  ) {
    this.#bytes = data.bytes;
    this.#start = data.start;
  }

  get dataJson(): string {
    return this.#bytes.toString('utf8', this.#start);
  }

  dataLength(): number {
    return this.#bytes.length - this.#start;
  }

  writeData(target: Buffer, at: number): number {
    return this.#bytes.copy(target, at, this.#start);
  }
}

/** The UTF-8 length of an item's data. */
export function itemDataLength(item: DeliveryItem): number {
  return item instanceof ItemWithDataBytes ? item.dataLength() : Buffer.byteLength(item.dataJson, 'utf8');
}

/** Writes an item's data as UTF-8 into `target` at `at` (room for `itemDataLength` bytes); returns the bytes written. */
export function writeItemData(item: DeliveryItem, target: Buffer, at: number): number {
  return item instanceof ItemWithDataBytes ? item.writeData(target, at) : target.write(item.dataJson, at, 'utf8');
}

function decodeHead(raw: Record<string, unknown>, data: string | DataBytes): DecodedItem {
  const { subscriptionId, kind, vehicleId, seq, recordTimeMs, origin, simulated, slot } = raw;
  if (typeof subscriptionId !== 'string' || typeof vehicleId !== 'string') return { kind: 'invalid', reason: 'subscriptionId/vehicleId missing' };
  if (typeof kind !== 'string' || !itemKindSet.has(kind)) return { kind: 'invalid', reason: `unknown kind ${String(kind)}` };
  if (typeof recordTimeMs !== 'number' || !(seq === null || typeof seq === 'number')) return { kind: 'invalid', reason: 'recordTimeMs/seq malformed' };
  if (!isObject(origin) || typeof origin.topic !== 'string' || typeof origin.partition !== 'number' || typeof origin.offset !== 'string') {
    return { kind: 'invalid', reason: 'origin malformed' };
  }
  const slotPart = kind === 'scheduled' ? decodeSlot(slot) : undefined;
  if (kind === 'scheduled' && slotPart === undefined) return { kind: 'invalid', reason: 'slot malformed' };
  const itemOrigin = { topic: topics.intern(origin.topic), partition: origin.partition, offset: origin.offset };
  const sub = subscriptionIds.intern(subscriptionId);
  const vehicle = vehicleIds.intern(vehicleId);
  const itemKind = canonicalKinds.get(kind) as ItemKind;
  // Built without spreads: this runs once per item read (a few % of the dispatcher's CPU).
  const item: { -readonly [K in keyof DeliveryItem]: DeliveryItem[K] } = typeof data === 'string'
    ? { subscriptionId: sub, kind: itemKind, vehicleId: vehicle, seq, recordTimeMs, origin: itemOrigin, dataJson: data }
    : new ItemWithDataBytes(sub, itemKind, vehicle, seq, recordTimeMs, itemOrigin, data);
  if (simulated === true) item.simulated = true;
  if (slotPart !== undefined) item.slot = slotPart;
  return { kind: 'item', item };
}

/**
 * One string per name, not one per item: items wait out their batch window in memory, and
 * each string they hold is copied by every scavenge it survives. Topics, kinds, subscription
 * and vehicle ids repeat across items; the first `limit` distinct names are kept.
 */
class Names {
  private readonly names = new Map<string, string>();
  constructor(private readonly limit: number) {}

  intern(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (this.names.size < this.limit) this.names.set(name, name);
    return name;
  }
}

const topics = new Names(1_000);
const subscriptionIds = new Names(100_000);
const vehicleIds = new Names(200_000);
const canonicalKinds: ReadonlyMap<string, ItemKind> = new Map(itemKinds.map((k) => [k, k]));

function decodeSlot(slot: unknown): ScheduledSlotPart | undefined {
  if (!isObject(slot) || !Number.isSafeInteger(slot.slotMs) || !Number.isSafeInteger(slot.part) || (slot.part as number) < 0) return undefined;
  return { slotMs: slot.slotMs as number, part: slot.part as number };
}
