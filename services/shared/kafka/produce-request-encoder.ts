import { crc32c } from './crc32c.js';

/**
 * The body of a Kafka Produce request (versions 3–7 share it) with v2 record batches,
 * written into one Buffer sized up front (records compressed by a codec when asked).
 * kafkajs builds the same bytes through a zero-filled 512-byte buffer per record and per
 * header, a `Buffer.from` array per varint
 * and a copy of every record into its batch and of every batch into the request: that was
 * a fifth of the dispatcher's main thread at 30,000 records/s (issue 11). The adapter hands
 * kafkajs' produce requests to this encoder (`kafkajs-internals.ts`); the bytes are the ones
 * kafkajs writes (unit test), apart from a batch's max timestamp, which here is the highest
 * timestamp of its records also when some records have none. Pure.
 */

type Bytes = Buffer | string | null | undefined;
type HeaderValues = Readonly<Record<string, Bytes | readonly Bytes[]>>;

/** A record as kafkajs holds it (`Message`): a value that is not a Buffer is written as its string. */
export interface EncodableRecord {
  readonly key?: Bytes;
  readonly value: Bytes;
  readonly headers?: HeaderValues;
  /** Epoch ms; the request's time when absent. */
  readonly timestamp?: string | number | null;
}

export interface ProduceRequestInput {
  readonly transactionalId: string | null;
  readonly acks: number;
  readonly timeoutMs: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topicData: readonly {
    readonly topic: string;
    readonly partitions: readonly { readonly partition: number; readonly firstSequence: number; readonly messages: readonly EncodableRecord[] }[];
  }[];
  /** The time of records without a timestamp. */
  readonly nowMs: number;
}

const magic = 2;
const transactionalBit = 16;
/** baseOffset, batchLength, partitionLeaderEpoch, magic, crc */
const batchHeadBytes = 8 + 4 + 4 + 1 + 4;
/** attributes … record count: the part the CRC covers before the records */
const batchTailBytes = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

function sizeOfVarint(v: number): number {
  let u = zigzag(v);
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

/** Payload bytes of a key, value or header value (-1: null). */
function byteLength(b: Bytes): number {
  if (b === null || b === undefined) return -1;
  return Buffer.isBuffer(b) ? b.length : Buffer.byteLength(String(b), 'utf8');
}

const sizeOfBytes = (len: number): number => sizeOfVarint(len) + (len > 0 ? len : 0);

class Writer {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: number): void {
    let u = zigzag(v);
    const buf = this.buf;
    while (u >= 0x80) {
      buf[this.offset++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
    buf[this.offset++] = u;
  }

  bytes(b: Bytes, len: number): void {
    this.varint(len);
    if (len <= 0 || b === null || b === undefined) return;
    if (Buffer.isBuffer(b)) this.offset += b.copy(this.buf, this.offset);
    else this.offset += this.buf.write(String(b), this.offset, len, 'utf8');
  }

  int8(v: number): void {
    this.buf.writeInt8(v, this.offset);
    this.offset += 1;
  }

  int16(v: number): void {
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
  }

  int32(v: number): void {
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
  }

  int64(v: bigint): void {
    this.buf.writeBigInt64BE(v, this.offset);
    this.offset += 8;
  }

  /** int16 length + UTF-8 (null: -1). */
  string(s: string | null): void {
    if (s === null) return this.int16(-1);
    const len = Buffer.byteLength(s, 'utf8');
    this.int16(len);
    this.offset += this.buf.write(s, this.offset, len, 'utf8');
  }
}

/** One header as kafkajs lists them: an array value is one header per element, in order. */
function forEachHeader(headers: HeaderValues | undefined, fn: (key: string, value: Bytes) => void): void {
  if (headers === undefined) return;
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    if (Array.isArray(v)) for (const one of v as readonly Bytes[]) fn(key, one);
    else fn(key, v as Bytes);
  }
}

function timestampOf(r: EncodableRecord, nowMs: number): number {
  if (r.timestamp === undefined || r.timestamp === null || r.timestamp === '') return nowMs;
  const t = Number(r.timestamp);
  if (!Number.isSafeInteger(t)) throw new TypeError(`record timestamp ${JSON.stringify(r.timestamp)} is not an integer number of ms`);
  return t;
}

interface PartitionPlan {
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly timestamps: Float64Array;
  /** Per record: its body size (after the length varint). */
  readonly bodySizes: Int32Array;
  /** Per record: its key's and value's payload bytes (-1: null), measured once (a string value is scanned for its UTF-8 length). */
  readonly keySizes: Int32Array;
  readonly valueSizes: Int32Array;
  /** The records, length varints included (uncompressed). */
  readonly recordBytes: number;
}

function planPartition(messages: readonly EncodableRecord[], nowMs: number): PartitionPlan {
  const n = messages.length;
  const timestamps = new Float64Array(n);
  const bodySizes = new Int32Array(n);
  const keySizes = new Int32Array(n);
  const valueSizes = new Int32Array(n);
  // kafkajs: the batch's first timestamp is the lowest given one (the request's time when none is).
  let first = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = messages[i] as EncodableRecord;
    const t = timestampOf(r, nowMs);
    timestamps[i] = t;
    if (r.timestamp !== undefined && r.timestamp !== null && r.timestamp !== '' && t < first) first = t;
    if (t > max) max = t;
  }
  if (first === Infinity) first = nowMs;
  let records = 0;
  for (let i = 0; i < n; i++) {
    const r = messages[i] as EncodableRecord;
    let headerCount = 0;
    let headerBytes = 0;
    forEachHeader(r.headers, (key, value) => {
      headerCount++;
      headerBytes += sizeOfBytes(Buffer.byteLength(key, 'utf8')) + sizeOfBytes(byteLength(value));
    });
    const keySize = byteLength(r.key);
    const valueSize = byteLength(r.value);
    keySizes[i] = keySize;
    valueSizes[i] = valueSize;
    const body = 1 + sizeOfVarint((timestamps[i] as number) - first) + sizeOfVarint(i)
      + sizeOfBytes(keySize) + sizeOfBytes(valueSize) + sizeOfVarint(headerCount) + headerBytes;
    bodySizes[i] = body;
    records += sizeOfVarint(body) + body;
  }
  return { firstTimestamp: first, maxTimestamp: max, timestamps, bodySizes, keySizes, valueSizes, recordBytes: records };
}

function writeRecords(w: Writer, messages: readonly EncodableRecord[], plan: PartitionPlan): void {
  for (let i = 0; i < messages.length; i++) {
    const r = messages[i] as EncodableRecord;
    w.varint(plan.bodySizes[i] as number);
    w.int8(0); // attributes
    w.varint((plan.timestamps[i] as number) - plan.firstTimestamp);
    w.varint(i);
    w.bytes(r.key, plan.keySizes[i] as number);
    w.bytes(r.value, plan.valueSizes[i] as number);
    let headerCount = 0;
    forEachHeader(r.headers, () => void headerCount++);
    w.varint(headerCount);
    forEachHeader(r.headers, (key, value) => {
      w.bytes(key, Buffer.byteLength(key, 'utf8'));
      w.bytes(value, byteLength(value));
    });
  }
}

/** One partition's record batch: its plan, and the compressed records when the request is compressed. */
interface PartitionBatch {
  readonly plan: PartitionPlan;
  readonly compressed: Buffer | null;
  /** RecordBatch bytes, baseOffset and batchLength included. */
  readonly batchBytes: number;
}

function writeBatch(w: Writer, input: ProduceRequestInput, codecBits: number, firstSequence: number, messages: readonly EncodableRecord[], batch: PartitionBatch): void {
  const { plan, compressed } = batch;
  const start = w.offset;
  w.int64(0n);
  w.int32(batch.batchBytes - 12);
  w.int32(0); // partition leader epoch
  w.int8(magic);
  const crcAt = w.offset;
  w.int32(0);
  const crcFrom = w.offset;
  w.int16(codecBits | (input.transactionalId === null ? 0 : transactionalBit));
  w.int32(messages.length - 1);
  w.int64(BigInt(plan.firstTimestamp));
  w.int64(BigInt(plan.maxTimestamp));
  w.int64(input.producerId);
  w.int16(input.producerEpoch);
  w.int32(firstSequence);
  w.int32(messages.length);
  if (compressed === null) writeRecords(w, messages, plan);
  else w.offset += compressed.copy(w.buf, w.offset);
  if (w.offset - start !== batch.batchBytes) throw new Error(`record batch size ${w.offset - start} differs from its plan ${batch.batchBytes}`);
  w.buf.writeUInt32BE(crc32c(w.buf, crcFrom, w.offset), crcAt);
}

function writeRequest(input: ProduceRequestInput, codecBits: number, batches: readonly (readonly PartitionBatch[])[]): Buffer {
  let size = 2 + (input.transactionalId === null ? 0 : Buffer.byteLength(input.transactionalId, 'utf8')) + 2 + 4 + 4;
  input.topicData.forEach((t, ti) => {
    size += 2 + Buffer.byteLength(t.topic, 'utf8') + 4;
    for (const b of batches[ti] as readonly PartitionBatch[]) size += 4 + 4 + b.batchBytes;
  });
  const w = new Writer(Buffer.allocUnsafe(size));
  w.string(input.transactionalId);
  w.int16(input.acks);
  w.int32(input.timeoutMs);
  w.int32(input.topicData.length);
  input.topicData.forEach((t, ti) => {
    w.string(t.topic);
    w.int32(t.partitions.length);
    t.partitions.forEach((p, pi) => {
      const b = (batches[ti] as readonly PartitionBatch[])[pi] as PartitionBatch;
      w.int32(p.partition);
      w.int32(b.batchBytes);
      writeBatch(w, input, codecBits, p.firstSequence, p.messages, b);
    });
  });
  if (w.offset !== size) throw new Error(`produce request size ${w.offset} differs from its plan ${size}`);
  return w.buf;
}

const batchOverhead = batchHeadBytes + batchTailBytes;

/** The request body (after the request header): transactional id, acks, timeout, then per topic and partition one uncompressed record batch. */
export function encodeProduceRequest(input: ProduceRequestInput): Buffer {
  const batches = input.topicData.map((t) => t.partitions.map((p): PartitionBatch => {
    const plan = planPartition(p.messages, input.nowMs);
    return { plan, compressed: null, batchBytes: batchOverhead + plan.recordBytes };
  }));
  return writeRequest(input, 0, batches);
}

/** A compression codec as Kafka names it in a batch's attributes (1 gzip, 2 snappy, 3 lz4, 4 zstd) and its compression of a batch's records. */
export interface RecordsCodec {
  readonly attributeBits: number;
  compress(records: Buffer): Promise<Buffer>;
}

/** The same request with each batch's records compressed by `codec` (the count of records stays uncompressed, as in Kafka's format). */
export async function encodeCompressedProduceRequest(input: ProduceRequestInput, codec: RecordsCodec): Promise<Buffer> {
  const batches = await Promise.all(input.topicData.map((t) => Promise.all(t.partitions.map(async (p): Promise<PartitionBatch> => {
    const plan = planPartition(p.messages, input.nowMs);
    const w = new Writer(Buffer.allocUnsafe(plan.recordBytes));
    writeRecords(w, p.messages, plan);
    const compressed = await codec.compress(w.buf);
    return { plan, compressed, batchBytes: batchOverhead + compressed.length };
  }))));
  return writeRequest(input, codec.attributeBits, batches);
}
