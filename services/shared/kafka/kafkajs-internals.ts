import { Module, createRequire } from 'node:module';
import { encodeCompressedProduceRequest, encodeProduceRequest } from './produce-request-encoder.js';
import type { ProduceRequestInput, RecordsCodec } from './produce-request-encoder.js';

/**
 * Faster stand-ins for hot internals of kafkajs' produce path and its fetched-record decoding (issue 11), put in
 * Node's module cache before kafkajs loads so that its modules pick them up: kafkajs has no
 * hook for any of them. Each gives kafkajs the same result as its own (unit tests compare
 * them with kafkajs'). kafkajs is pinned (2.2.4, unmaintained since 2023): these paths do
 * not move. Where another module loaded kafkajs first (a test or bench importing it), the
 * preloaded ones and the record decoder stay kafkajs' own; the produce encoder is installed in any case (kafkajs
 * loads it at the first send). With the adapter, the only files that reach into kafkajs.
 * Speed only: kafkajs' behaviour is unchanged (its one fix, the send retry, is a patch in
 * `patches/`, applied at install).
 */
const require = createRequire(import.meta.url);

interface KafkaJsEncoder { buf: Buffer; offset: number }
type EncoderClass = new (initialSize?: number) => KafkaJsEncoder;

/** A record as kafkajs' producer holds it; the grouping only passes it on (the adapter stays the one file importing kafkajs). */
type Message = object;

/** kafkajs' grouping of a send's records by partition, as its producer calls it. */
export type GroupByPartition = (args: {
  readonly topic: string; readonly partitionMetadata: readonly unknown[]; readonly messages: readonly Message[];
  readonly partitioner: (args: { readonly topic: string; readonly partitionMetadata: readonly unknown[]; readonly message: Message }) => number;
}) => Record<number, Message[]>;

/** kafkajs copies the partition's array for every record it groups (quadratic: 1.4 µs per record at 5,000 records per send). */
export const linearGroupByPartition: GroupByPartition = ({ topic, partitionMetadata, messages, partitioner }) => {
  const result: Record<number, Message[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
};

/** kafkajs' framing of every request it sends: size, api key and version, correlation id, client id, then the body. */
export type FrameRequest = (args: {
  readonly correlationId: number; readonly clientId: string | null;
  readonly request: { readonly apiKey: number; readonly apiVersion: number; encode(): Promise<KafkaJsEncoder> };
}) => Promise<KafkaJsEncoder>;

/**
 * kafkajs copies a request's body twice into zero-filled buffers grown by doubling to frame it
 * (for a 700 KiB produce request, two zero-filled MiB and two copies); here one exact buffer, one copy.
 */
export function frameRequestOnce(Encoder: EncoderClass): FrameRequest {
  return async ({ correlationId, clientId, request: { apiKey, apiVersion, encode } }) => {
    const body = await encode();
    if (body === null || body === undefined || !Buffer.isBuffer(body.buf)) throw new Error('value should be an instance of Encoder');
    const clientIdBytes = clientId === null || clientId === undefined ? -1 : Buffer.byteLength(clientId, 'utf8');
    const head = 2 + 2 + 4 + 2 + Math.max(0, clientIdBytes);
    const buf = Buffer.allocUnsafe(4 + head + body.offset);
    buf.writeInt32BE(head + body.offset, 0);
    buf.writeInt16BE(apiKey, 4);
    buf.writeInt16BE(apiVersion, 6);
    buf.writeInt32BE(correlationId, 8);
    buf.writeInt16BE(clientIdBytes, 12);
    if (clientIdBytes > 0) buf.write(clientId as string, 14, clientIdBytes, 'utf8');
    body.buf.copy(buf, 4 + head, 0, body.offset);
    return encoderOver(Encoder, buf);
  };
}

function encoderOver(Encoder: EncoderClass, buf: Buffer): KafkaJsEncoder {
  const encoder = new Encoder(0);
  encoder.buf = buf;
  encoder.offset = buf.length;
  return encoder;
}

function preload(modulePath: string, exports: unknown): void {
  const path = require.resolve(modulePath);
  if (require.cache[path] !== undefined) return;
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = exports;
  require.cache[path] = m;
}

/** kafkajs' Produce v3 request builder (v4–v7 reuse it): the arguments it gets, the request it returns. */
interface ProduceRequestArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  /** As kafkajs' idempotent producer passes it: the text its InitProducerId decoder read (a Long or a number elsewhere). */
  readonly producerId?: ProducerIdArg;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: ProduceRequestInput['topicData'];
}
type ProducerIdArg = string | number | bigint | { readonly value: bigint } | { toString(): string };
type ProduceRequestBuilder = (args: ProduceRequestArgs) => { encode(): Promise<unknown> };

/** kafkajs' compression codecs (its own gzip, and any a caller registered). */
interface CompressionModule {
  readonly COMPRESSION_CODEC_MASK: number;
  lookupCodec(type: number): { compress(encoder: { readonly buffer: Buffer }): Promise<Buffer> } | null;
}

/**
 * kafkajs encodes produce requests record by record through 512-byte zero-filled buffers,
 * varint arrays and copies (a fifth of the dispatcher's main thread at 30,000 records/s).
 * Its Produce v3 builder, loaded at the first send, is wrapped: requests are written by
 * `encodeProduceRequest` (same bytes, one buffer); compressed ones by
 * `encodeCompressedProduceRequest` with kafkajs' own codec for the records.
 */
function installProduceEncoder(Encoder: EncoderClass, none: number): void {
  const path = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
  const original = require(path) as ProduceRequestBuilder & { fleethook?: true };
  const cached = require.cache[path];
  if (cached === undefined || original.fleethook === true) return;
  const compression = require('kafkajs/src/protocol/message/compression/index.js') as CompressionModule;
  const builder: ProduceRequestBuilder = (args) => {
    const request = original(args);
    const type = args.compression ?? none;
    const input: ProduceRequestInput = {
      transactionalId: args.transactionalId ?? null, acks: args.acks, timeoutMs: args.timeout,
      producerId: producerIdOf(args.producerId), producerEpoch: args.producerEpoch ?? 0, topicData: args.topicData, nowMs: Date.now(),
    };
    if (type === none) return Object.assign(request, { encode: async (): Promise<KafkaJsEncoder> => encoderOver(Encoder, encodeProduceRequest(input)) });
    const codec = compression.lookupCodec(type);
    // Not a codec kafkajs knows: its own encoder raises its error.
    if (codec === null) return request;
    const records: RecordsCodec = { attributeBits: type & compression.COMPRESSION_CODEC_MASK, compress: (buffer) => codec.compress({ buffer }) };
    return Object.assign(request, { encode: async (): Promise<KafkaJsEncoder> => encoderOver(Encoder, await encodeCompressedProduceRequest(input, records)) });
  };
  cached.exports = Object.assign(builder, { fleethook: true });
}

/**
 * The producer id kafkajs passes, as a bigint; -1 (no producer id) only when it passes none.
 * kafkajs' own builder writes whatever it gets through `writeInt64`; reading only a Long's
 * `value` here once wrote -1 for every idempotent send (the broker then deduplicates nothing).
 */
export function producerIdOf(id: ProducerIdArg | undefined): bigint {
  if (id === undefined) return -1n;
  if (typeof id === 'bigint') return id;
  if (typeof id === 'number') return BigInt(id);
  if (typeof id === 'object' && 'value' in id && typeof id.value === 'bigint') return id.value;
  return BigInt(String(id));
}

/** kafkajs' reader of a fetch response (the parts the record decoder uses). */
interface KafkaJsDecoder {
  readonly buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (decoder: KafkaJsDecoder) => T): T[];
}

/** What kafkajs' record batch decoder gives each record (its batch's fields). */
interface RecordBatchContext {
  readonly firstOffset?: string;
  readonly firstTimestamp?: string;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
  readonly timestampType?: number;
  readonly maxTimestamp?: string;
}

/** kafkajs' decoder of one record of a v2 record batch, as its batch decoder calls it. */
export type RecordDecoder = (decoder: KafkaJsDecoder, batchContext?: RecordBatchContext) => unknown;

type HeaderValue = Buffer | null;
type Headers = Record<string, HeaderValue | HeaderValue[]>;

/**
 * kafkajs decodes each fetched record's offset and timestamp through its Long type (a parse of
 * the batch's base offset and time as text, a Long per varint byte, a sum, and the text again:
 * ~2 % of the dispatcher's main thread). Here with numbers when everything fits in 53 bits
 * (offsets and epoch-ms times do), the same text; anything else (a varint longer than 7 bytes,
 * a base that is not a safe integer, a sum beyond 2^53) goes to kafkajs' own decoder from the
 * record's start. Keys, values and headers are read by kafkajs' decoder as before.
 */
export function numericRecordDecoder(original: RecordDecoder, readHeader: (decoder: KafkaJsDecoder) => { key: string; value: HeaderValue }, logAppendTime: number): RecordDecoder {
  const base = new SafeIntegerText();
  return (decoder, batchContext = {}) => {
    const start = decoder.offset;
    const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
    const attributes = decoder.readInt8();
    const timestampDelta = readShortVarLong(decoder);
    const appendTime = timestampType === logAppendTime && maxTimestamp;
    const timestamp = timestampDelta === undefined ? undefined : appendTime ? maxTimestamp : base.plus(firstTimestamp, timestampDelta);
    const offset = timestamp === undefined ? undefined : base.plus(firstOffset, decoder.readVarInt());
    if (timestamp === undefined || offset === undefined) {
      decoder.offset = start;
      return original(decoder, batchContext);
    }
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const list = decoder.readVarIntArray(readHeader);
    // kafkajs' own fold (repeated keys become lists), kept as it is: only records with headers pay for it.
    const headers = list.length === 0 ? {} : list.reduce<Headers>((obj, { key, value }) => ({
      ...obj,
      [key]: obj[key] === undefined ? value : Array.isArray(obj[key]) ? (obj[key] as HeaderValue[]).concat([value]) : [obj[key] as HeaderValue, value],
    }), {});
    return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
  };
}

/** A zigzag varlong of at most 7 bytes (49 bits) as a number, the decoder moved past it; undefined (not moved) otherwise. */
function readShortVarLong(decoder: KafkaJsDecoder): number | undefined {
  const buf = decoder.buffer;
  let u = 0;
  let scale = 1;
  for (let i = decoder.offset; i < decoder.offset + 7 && i < buf.length; i++) {
    const byte = buf[i] as number;
    u += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      decoder.offset = i + 1;
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    scale *= 128;
  }
  return undefined;
}

/** `Long.fromValue(text).add(delta).toString()` for a base that is a safe integer's canonical text (the last one parsed is kept: a batch's records share it). */
class SafeIntegerText {
  private lastText: string | undefined;
  private lastValue: number | undefined;

  plus(text: string | undefined, delta: number): string | undefined {
    if (text === undefined) return undefined;
    if (text !== this.lastText) {
      const value = Number(text);
      this.lastText = text;
      this.lastValue = Number.isSafeInteger(value) && String(value) === text ? value : undefined;
    }
    if (this.lastValue === undefined) return undefined;
    const sum = this.lastValue + delta;
    return Number.isSafeInteger(sum) ? String(sum) : undefined;
  }
}

function installRecordDecoder(): void {
  const path = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
  const cached = (): NodeJS.Module | undefined => require.cache[path];
  // Loaded already (kafkajs was imported first): its batch decoder holds kafkajs' own.
  if (cached() !== undefined) return;
  const original = require(path) as RecordDecoder;
  const header = require('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as (decoder: KafkaJsDecoder) => { key: string; value: HeaderValue };
  const { LOG_APPEND_TIME } = require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };
  const m = cached();
  if (m !== undefined) m.exports = numericRecordDecoder(original, header, LOG_APPEND_TIME);
}

/** kafkajs, with the stand-ins in place. */
export function loadKafkaJs(): typeof import('kafkajs') {
  const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
  preload('kafkajs/src/producer/groupMessagesPerPartition.js', linearGroupByPartition);
  preload('kafkajs/src/protocol/request.js', frameRequestOnce(Encoder));
  installRecordDecoder();
  const kafkajs = require('kafkajs') as typeof import('kafkajs');
  installProduceEncoder(Encoder, kafkajs.CompressionTypes.None);
  return kafkajs;
}
