import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import '../../../../services/shared/kafka/kafkajs-adapter.js';
import { numericRecordDecoder } from '../../../../services/shared/kafka/kafkajs-internals.js';
import type { RecordDecoder } from '../../../../services/shared/kafka/kafkajs-internals.js';

const require = createRequire(import.meta.url);
const decoderPath = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: Record<string, unknown>) => { buffer: Buffer };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { offset: number; readVarIntBytes(): Buffer };
const readHeader = require('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as Parameters<typeof numericRecordDecoder>[1];

/** kafkajs' own record decoder, loaded afresh (the adapter replaced the cached one). */
function kafkajsRecordDecoder(): RecordDecoder {
  const installed = require.cache[decoderPath];
  delete require.cache[decoderPath];
  try {
    return require(decoderPath) as RecordDecoder;
  } finally {
    if (installed !== undefined) require.cache[decoderPath] = installed;
  }
}

/** A record's body as kafkajs' batch decoder hands it to the record decoder. */
function recordBody(record: Record<string, unknown>): Buffer {
  return new Decoder(encodeRecord(record).buffer).readVarIntBytes();
}

const original = kafkajsRecordDecoder();
/** How often the numeric decoder handed a record to kafkajs' own. */
let handedOver = 0;
const numeric = numericRecordDecoder((...args) => {
  handedOver++;
  return original(...args);
}, readHeader, 1);

const safe = (x: bigint): boolean => x >= -(2n ** 53n - 1n) && x <= 2n ** 53n - 1n;

/** Whether the record's offset and time (base plus delta) and its time delta (7 varint bytes at most) fit in a safe integer. */
function withinNumbers(record: Record<string, unknown>, context: Record<string, unknown>): boolean {
  if (typeof context.firstOffset !== 'string' || typeof context.firstTimestamp !== 'string') return false;
  const timeDelta = BigInt(String(record.timestampDelta));
  const zigzag = timeDelta >= 0n ? timeDelta * 2n : -timeDelta * 2n - 1n;
  if (zigzag >= 2n ** 49n) return false;
  const appendTime = context.timestampType === 1 && Boolean(context.maxTimestamp);
  return safe(BigInt(context.firstOffset) + BigInt(String(record.offsetDelta)))
    && (appendTime || safe(BigInt(context.firstTimestamp) + timeDelta))
    && safe(BigInt(context.firstOffset)) && safe(BigInt(context.firstTimestamp));
}

describe('the fetched-record decoder (numbers instead of kafkajs Longs)', () => {
  it('is what kafkajs decodes fetched records with once the adapter is loaded', () => {
    expect(String(require(decoderPath))).toBe(String(numeric));
    expect(String(require(decoderPath))).not.toBe(String(original));
  });

  const records: [string, Record<string, unknown>][] = [
    ['a plain record', { offsetDelta: 0, timestampDelta: 0, key: Buffer.from('sub_1'), value: Buffer.from('{"v":2}') }],
    ['later deltas', { offsetDelta: 499, timestampDelta: 1_234, key: Buffer.from('k'), value: Buffer.from('v') }],
    ['a negative time delta', { offsetDelta: 3, timestampDelta: -17, key: null, value: Buffer.from('v') }],
    ['a 6-byte time delta', { offsetDelta: 1, timestampDelta: Long.fromValue(2 ** 40 + 5), key: null, value: null }],
    ['a 9-byte time delta (kafkajs decodes it)', { offsetDelta: 1, timestampDelta: Long.fromValue('1152921504606846976'), key: null, value: null }],
    ['a large offset delta', { offsetDelta: 2_000_000_000, timestampDelta: 1, key: Buffer.alloc(0), value: Buffer.alloc(0) }],
    ['headers, repeated ones and one named like an Object method', {
      offsetDelta: 2, timestampDelta: 9, key: Buffer.from('k'), value: Buffer.from('ü'),
      headers: { 'fleethook-parked-kind': 'item', multi: ['a', 'b', 'c'], toString: 'x', empty: Buffer.alloc(0) },
    }],
  ];
  const contexts: [string, Record<string, unknown>][] = [
    ['create time', { firstOffset: '41', firstTimestamp: '1764662400123', magicByte: 2, isControlBatch: false, timestampType: 0, maxTimestamp: '1764662409999' }],
    ['offset 0, time 0', { firstOffset: '0', firstTimestamp: '0', magicByte: 2, timestampType: 0, maxTimestamp: '0' }],
    ['no timestamp (-1)', { firstOffset: '7', firstTimestamp: '-1', magicByte: 2, timestampType: 0, maxTimestamp: '-1' }],
    ['log append time', { firstOffset: '100', firstTimestamp: '1764662400123', magicByte: 2, timestampType: 1, maxTimestamp: '1764662400999' }],
    ['a control batch', { firstOffset: '5', firstTimestamp: '1764662400123', magicByte: 2, isControlBatch: true, timestampType: 0, maxTimestamp: '1' }],
    ['offsets just under 2^53', { firstOffset: '9007199254740000', firstTimestamp: '1764662400123', magicByte: 2, timestampType: 0 }],
    ['offsets past 2^53 (kafkajs adds them)', { firstOffset: '9007199254740990', firstTimestamp: '1764662400123', magicByte: 2, timestampType: 0 }],
    ['offsets near 2^63', { firstOffset: '9223372036854775000', firstTimestamp: '9223372036854775000', magicByte: 2, timestampType: 0 }],
    ['no batch context', {}],
  ];

  for (const [contextName, context] of contexts) {
    it.each(records)(`decodes %s as kafkajs does (${contextName})`, (name, record) => {
      const body = recordBody(record);
      handedOver = 0;
      const [a, b] = [original, numeric].map((decode) => {
        const decoder = new Decoder(body);
        let result: unknown;
        try {
          result = contextName === 'no batch context' ? decode(decoder as never) : decode(decoder as never, context);
        } catch (err) {
          result = { threw: String(err) };
        }
        return { result, offset: decoder.offset, keys: Object.keys(result as object) };
      });
      expect(b).toEqual(a);
      // Numbers decode everything within 53 bits themselves; the rest goes to kafkajs.
      expect(handedOver, name).toBe(withinNumbers(record, context) ? 0 : 1);
    });
  }
});
