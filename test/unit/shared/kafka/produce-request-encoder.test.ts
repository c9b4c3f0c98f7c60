import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../../services/shared/kafka/crc32c.js';
import { encodeCompressedProduceRequest, encodeProduceRequest } from '../../../../services/shared/kafka/produce-request-encoder.js';
import type { EncodableRecord, ProduceRequestInput } from '../../../../services/shared/kafka/produce-request-encoder.js';
import '../../../../services/shared/kafka/kafkajs-adapter.js';
import { frameRequestOnce, linearGroupByPartition } from '../../../../services/shared/kafka/kafkajs-internals.js';

const require = createRequire(import.meta.url);
const v3Path = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
interface Encoded { buffer: Buffer }
type V3 = (args: Record<string, unknown>) => { encode(): Promise<Encoded> };
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string): unknown };
// The gzip codec kafkajs' builder looks up (the adapter registers its level-1 one).
const gzipCodec = (require('kafkajs/src/protocol/message/compression/index.js') as { lookupCodec(t: number): { compress(e: { buffer: Buffer }): Promise<Buffer> } }).lookupCodec(1);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

/** kafkajs' own Produce v3 builder, loaded afresh (the adapter replaced the cached one). */
function kafkajsV3(): V3 {
  const patched = require.cache[v3Path];
  delete require.cache[v3Path];
  try {
    return require(v3Path) as V3;
  } finally {
    if (patched !== undefined) require.cache[v3Path] = patched;
  }
}

async function kafkajsBytes(input: ProduceRequestInput, compression = 0): Promise<Buffer> {
  const realNow = Date.now;
  Date.now = () => input.nowMs;
  try {
    const request = kafkajsV3()({
      acks: input.acks, timeout: input.timeoutMs, transactionalId: input.transactionalId ?? undefined,
      // As kafkajs' idempotent producer passes it: the text its InitProducerId decoder read.
      producerId: String(input.producerId), producerEpoch: input.producerEpoch, topicData: input.topicData, compression,
    });
    return (await request.encode()).buffer;
  } finally {
    Date.now = realNow;
  }
}

const nowMs = 1_764_662_400_123;
const base = { transactionalId: null, acks: -1, timeoutMs: 30_000, producerId: 4_321n, producerEpoch: 3, nowMs } as const;

describe('encodeProduceRequest', () => {
  it('writes the bytes kafkajs writes: keys and values as Buffers, strings or null, headers (lists too), several topics and partitions', async () => {
    const long = 'ü'.repeat(300); // multi-byte UTF-8, lengths past one varint byte
    const records: EncodableRecord[] = [
      { key: 'sub_1', value: Buffer.from('{"a":1}'), headers: { 'fleethook-parked-kind': 'item', 'fleethook-episode': 'pke_x', 'fleethook-deliveries-offset': '123456789' } },
      { key: null, value: null },
      { key: Buffer.alloc(0), value: '', headers: {} },
      { key: Buffer.from([0, 255, 7]), value: long, headers: { multi: ['one', Buffer.from('two')], [long]: long } },
      { value: randomBytes(20_000) },
    ];
    const input: ProduceRequestInput = {
      ...base,
      topicData: [
        { topic: 'webhook.deliveries', partitions: [{ partition: 0, firstSequence: 0, messages: records }, { partition: 5, firstSequence: 2_147_483_000, messages: records.slice(1, 3) }] },
        { topic: 'wébhook.parked', partitions: [{ partition: 2, firstSequence: 17, messages: records.slice(0, 1) }] },
      ],
    };
    expect(encodeProduceRequest(input).equals(await kafkajsBytes(input))).toBe(true);
  });

  it('writes the bytes kafkajs writes with gzip-compressed records (several partitions, records with headers)', async () => {
    const records: EncodableRecord[] = Array.from({ length: 40 }, (_, i) => ({
      key: `sub_${i % 3}`, value: JSON.stringify({ webhookId: `msg_${i}`, body: 'x'.repeat(i * 50) }), headers: { 'fleethook-outcome': i % 2 === 0 ? 'delivered' : 'failed' },
    }));
    const input: ProduceRequestInput = {
      ...base, topicData: [{ topic: 'webhook.messages', partitions: [{ partition: 0, firstSequence: 5, messages: records }, { partition: 3, firstSequence: 0, messages: records.slice(0, 1) }] }],
    };
    const ours = await encodeCompressedProduceRequest(input, { attributeBits: 1, compress: (buffer) => gzipCodec.compress({ buffer }) });
    expect(ours.equals(await kafkajsBytes(input, 1))).toBe(true);
    expect(ours.length).toBeLessThan(encodeProduceRequest(input).length);
  });

  it('writes the same timestamps as kafkajs when every record has one (deltas from the lowest, negative ones too)', async () => {
    const messages = [nowMs - 5, nowMs - 900_000, nowMs + 70_000, nowMs - 5].map((t, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: String(t) }));
    const input: ProduceRequestInput = { ...base, topicData: [{ topic: 't', partitions: [{ partition: 1, firstSequence: 9, messages }] }] };
    expect(encodeProduceRequest(input).equals(await kafkajsBytes(input))).toBe(true);
  });

  it('marks a transactional batch as kafkajs does', async () => {
    const input: ProduceRequestInput = { ...base, transactionalId: 'tx-ü', topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: 'k', value: 'v' }] }] }] };
    expect(encodeProduceRequest(input).equals(await kafkajsBytes(input))).toBe(true);
  });

  it('takes the highest timestamp of a batch as its max timestamp, also when some records have none (kafkajs took the highest given one)', () => {
    const messages = [{ value: 'a', timestamp: String(nowMs - 1_000) }, { value: 'b' }];
    const bytes = encodeProduceRequest({ ...base, topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages }] }] });
    // body: txn id (2) acks (2) timeout (4) topics (4) topic (2 + 1) partitions (4) partition (4) size (4) = 27; batch: base offset (8) length (4) epoch (4) magic (1) crc (4) attributes (2) last delta (4)
    const firstTimestampAt = 27 + 8 + 4 + 4 + 1 + 4 + 2 + 4;
    expect(bytes.readBigInt64BE(firstTimestampAt)).toBe(BigInt(nowMs - 1_000));
    expect(bytes.readBigInt64BE(firstTimestampAt + 8)).toBe(BigInt(nowMs));
    // The CRC covers attributes to the end of the batch.
    expect(bytes.readUInt32BE(27 + 8 + 4 + 4 + 1)).toBe(crc32c(bytes, 27 + 8 + 4 + 4 + 1 + 4));
  });

  it('refuses a timestamp that is not a whole number of ms', () => {
    for (const timestamp of ['soon', '12.5', String(2 ** 60)]) {
      expect(() => encodeProduceRequest({ ...base, topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [{ value: 'v', timestamp }] }] }] }), timestamp)
        .toThrow(/is not an integer number of ms/);
    }
  });

  it('is what kafkajs sends uncompressed once the adapter is loaded', () => {
    expect((require(v3Path) as { fleethook?: boolean }).fleethook).toBe(true);
  });

  // kafkajs' idempotent producer passes its producer id as the text its InitProducerId decoder
  // read. The installed builder once read only a Long's `value` and wrote -1: no deduplication.
  it.each([
    ['text (as the idempotent producer passes it)', '27004'],
    ["kafkajs' Long", Long.fromValue('27004')],
    ['a number', 27004],
  ])('writes the producer id kafkajs is given as %s, plain and gzip', async (_shape, producerId) => {
    const installed = require(v3Path) as V3;
    const topicData = [{ topic: 't', partitions: [{ partition: 1, firstSequence: 42, messages: [{ key: 'k', value: 'v', headers: { h: 'x' } }] }] }];
    for (const compression of [0, 1]) {
      const args = { acks: -1, timeout: 30_000, producerId, producerEpoch: 3, topicData, compression };
      const realNow = Date.now;
      Date.now = () => nowMs;
      try {
        const ours = (await installed(args).encode()).buffer;
        const theirs = (await kafkajsV3()(args).encode()).buffer;
        expect(ours.equals(theirs), `compression ${compression}`).toBe(compression === 0 || ours.length === theirs.length);
        // The batch starts after transactional id 2, acks 2, timeout 4, topics 4, "t" 3, partitions 4, partition 4, size 4;
        // its producer id after base offset 8, length 4, leader epoch 4, magic 1, crc 4, attributes 2, last delta 4, timestamps 16.
        const batchAt = 27;
        expect(ours.readBigInt64BE(batchAt + 43), `compression ${compression}`).toBe(27004n);
        expect(ours.readInt16BE(batchAt + 51)).toBe(3);
        expect(ours.readInt32BE(batchAt + 53)).toBe(42);
      } finally {
        Date.now = realNow;
      }
    }
  });
});

describe('crc32c', () => {
  it('matches the check value and kafkajs on every length and offset', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const data = randomBytes(300);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 7) expect(crc32c(data, start, end)).toBe(kafkajsCrc32c(data.subarray(start, end)));
    }
  });
});

describe('linearGroupByPartition', () => {
  it('groups records as kafkajs does: per partition, in send order, none without partitions', () => {
    const groupingPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
    const installed = require.cache[groupingPath];
    delete require.cache[groupingPath];
    const kafkajsGrouping = require(groupingPath) as typeof linearGroupByPartition;
    if (installed !== undefined) require.cache[groupingPath] = installed;
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: String(i), partition: (i * 5) % 6 }));
    const args = { topic: 't', partitionMetadata: [0, 1, 2, 3, 4, 5], messages, partitioner: ({ message }: { message: { partition?: number } }) => message.partition ?? 0 };
    const linear = linearGroupByPartition(args);
    expect(linear).toEqual(kafkajsGrouping(args));
    expect(Object.keys(linear)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(linearGroupByPartition({ ...args, partitionMetadata: [] })).toEqual({});
  });
});

describe('frameRequestOnce', () => {
  it('frames a request as kafkajs does (client id with multi-byte characters, none, empty body) and refuses a body that is not an encoder', async () => {
    const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => { buf: Buffer; offset: number; writeInt32(v: number): unknown; writeString(s: string): unknown };
    const framingPath = require.resolve('kafkajs/src/protocol/request.js');
    const installed = require.cache[framingPath];
    delete require.cache[framingPath];
    const kafkajsFraming = require(framingPath) as ReturnType<typeof frameRequestOnce>;
    if (installed !== undefined) require.cache[framingPath] = installed;
    const once = frameRequestOnce(Encoder);
    const body = new Encoder();
    body.writeString('x'.repeat(2_000));
    body.writeInt32(-7);
    for (const clientId of ['fleethook-dispatcher-ü', null, '']) {
      for (const payload of [body, new Encoder()]) {
        const args = { correlationId: 2_000_000_001, clientId, request: { apiKey: 0, apiVersion: 7, encode: () => Promise.resolve(payload) } };
        const [ours, theirs] = await Promise.all([once(args), kafkajsFraming(args)]);
        expect(ours.buf.subarray(0, ours.offset).equals(theirs.buf.subarray(0, theirs.offset)), String(clientId)).toBe(true);
      }
    }
    const notEncoder = { correlationId: 1, clientId: 'c', request: { apiKey: 0, apiVersion: 7, encode: () => Promise.resolve({ buf: 'no', offset: 2 } as unknown as { buf: Buffer; offset: number }) } };
    await expect(once(notEncoder)).rejects.toThrow(/instance of Encoder/);
  });
});
