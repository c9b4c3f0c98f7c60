// `npx tsx bench/record-packing-estimate.ts` (issue 11, session 13): an estimate, not a design. The CPU per item of
// `webhook.deliveries`' Kafka work (produce encoding with fleethook's encoder, kafkajs' record batch decoding and its
// consumer `Batch`) plus the item decode, with one item per record (today) and with K items per record
// (length-prefixed), for 60,000 GPS items of ~480 B: process CPU time (user + system) per item, so the machine's load matters less. The item decode stays per item in both.
import { createRequire } from 'node:module';
import '../services/shared/kafka/kafkajs-adapter.js';
import { encodeProduceRequest } from '../services/shared/kafka/produce-request-encoder.js';
import { encodeDeliveryItem, decodeDeliveryItem } from '../services/shared/delivery-item.js';
const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { readInt32(): number; readInt16(): number; readString(): string; canReadInt32(): boolean; offset: number };
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{ records: { offset: string; key: Buffer; value: Buffer; headers: object; timestamp: string }[] }>;
const Batch = require('kafkajs/src/consumer/batch.js') as new (topic: string, fetchedOffset: string, data: object) => { messages: { value: Buffer }[] };

const items = 60_000;
const values = Array.from({ length: items }, (_, i) => encodeDeliveryItem({
  subscriptionId: `sub_${String(i % 1000).padStart(25, '0')}`, kind: 'gps', vehicleId: `veh_${String(i % 2000).padStart(6, '0')}`, seq: i, recordTimeMs: 1_764_662_400_000 + i,
  origin: { topic: 'telemetry.gps', partition: i % 6, offset: String(1_000_000 + i) },
}, JSON.stringify({ vehicleId: `veh_${String(i % 2000).padStart(6, '0')}`, accountId: 'acc_0001', time: new Date(1_764_662_400_000 + i).toISOString(), lat: 52.5 + i / 1e5, lon: 13.4, speedKmh: i % 120, headingDeg: i % 360, odometerKm: 1000 + i / 100, ignition: true, postedSpeedLimitKmh: 50, seq: i })));

async function run(k: number): Promise<number> {
  // Records: k items each, length-prefixed (the framing a packed format would need).
  const records: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < items; i += k) {
    const part = values.slice(i, i + k);
    records.push({ key: `sub_${String(i % 1000).padStart(25, '0')}`, value: k === 1 ? part[0]! : Buffer.concat(part.flatMap((v) => { const len = Buffer.alloc(4); len.writeUInt32BE(v.length); return [len, v]; })) });
  }
  const perRequest = Math.max(1, Math.floor(5_000 / k));
  const cpu0 = process.cpuUsage();
  let decodedItems = 0;
  for (let r = 0; r < records.length; r += perRequest) {
    const chunk = records.slice(r, r + perRequest);
    const body = encodeProduceRequest({ transactionalId: null, acks: -1, timeoutMs: 30_000, producerId: 1n, producerEpoch: 0, nowMs: Date.now(), topicData: [{ topic: 'webhook.deliveries', partitions: [{ partition: 0, firstSequence: r, messages: chunk }] }] });
    // The record batch as a fetch returns it: skip the request head (txn id, acks, timeout, topic array, topic, partition array, partition, size).
    const d = new Decoder(body);
    d.readInt16(); d.readInt16(); d.readInt32(); d.readInt32(); d.readString(); d.readInt32(); d.readInt32(); d.readInt32();
    const batch = await decodeBatch(d);
    const fetched = new Batch('webhook.deliveries', '0', { partition: 0, highWatermark: '1', abortedTransactions: [], messages: batch.records.map((m) => ({ ...m, magicByte: 2, isControlRecord: false })) });
    for (const m of fetched.messages) {
      if (k === 1) { if (decodeDeliveryItem(m.value).kind === 'item') decodedItems++; continue; }
      for (let o = 0; o < m.value.length;) { const len = m.value.readUInt32BE(o); if (decodeDeliveryItem(m.value.subarray(o + 4, o + 4 + len)).kind === 'item') decodedItems++; o += 4 + len; }
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const us = (cpu.user + cpu.system) / items;
  if (decodedItems !== items) throw new Error(`decoded ${decodedItems}`);
  return us;
}
for (const round of [1, 2, 3]) {
  const out: string[] = [];
  for (const k of [1, 10, 50]) out.push(`K=${k}: ${(await run(k)).toFixed(2)} µs/item`);
  console.log(`round ${round}: ${out.join(', ')}`);
}
