import { Kafka, logLevel } from 'kafkajs';
import type { Admin, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { topicCatalogue } from '../../schemas/topics.js';
import type { TopicCatalogue } from '../../schemas/topics.js';
import { TelemetryProducer } from '../../services/producer/telemetry-producer.js';
import { adminOf, createKafkaClient } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { applyTopicCatalogue } from '../../services/topics/apply-topic-catalogue.js';
import { javaPartitionsFor } from '../helpers/java-partition.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

const partitions = 6;
const logger = createLogger('test', { level: 'error' });
const kafka = new Kafka({ clientId: 'producer-roundtrip-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.WARN });
const registry = new SchemaRegistryClient({ url: stackEnv.registryUrl });
const full = topicCatalogue({ prefix: `${uniqueName('it-prod')}.`, partitions: { telemetry: partitions } });
const catalogue: TopicCatalogue = { ...full, topics: full.topics.filter((t) => t.group === 'telemetry') };
let admin: Admin;

const time = Date.UTC(2025, 5, 1, 12);
const gps = (vehicleId: string, seq: number): GpsPoint => ({
  vehicleId, accountId: 'acc_1', time: time + seq * 1_000, lat: 52.5 + seq / 1_000, lon: 13.4, speedKmh: 42.5,
  headingDeg: 90, odometerKm: 1_000 + seq, ignition: true, postedSpeedLimitKmh: 50, driverId: null, seq,
});

function newProducer(): TelemetryProducer {
  const client = createKafkaClient({ brokers: stackEnv.kafkaBrokers, clientId: 'producer-roundtrip-test', logger });
  return new TelemetryProducer(client, registry, catalogue, { compression: 'none', autoRegisterSchemas: true });
}

/** Reads `count` records from the beginning of `topic` with a throw-away group. */
async function readBack(topic: string, count: number): Promise<{ partition: number; message: KafkaMessage }[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('it-prod-read'), sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: { partition: number; message: KafkaMessage }[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen.length} of ${count} from ${topic}`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.push({ partition, message });
            if (seen.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('producer library against the real broker and registry', () => {
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await applyTopicCatalogue(adminOf(admin), catalogue, 1);
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: catalogue.topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('publishes a GPS point, a DTC and an event that read back decoded from the right topics', async () => {
    const producer = newProducer();
    await producer.connect();
    const dtc: Dtc = { vehicleId: 'veh_rt', accountId: 'acc_1', time, code: '110-0', source: 'J1939', spn: 110, fmi: 0, status: 'active', description: 'coolant hot', seq: 0 };
    const event: VehicleEvent = { vehicleId: 'veh_rt', accountId: 'acc_1', time, type: 'temperature', origin: 'device', temperatureCelsius: -18.5, sensorId: 'reefer-1', seq: 0 };
    const result = await producer.publish({ gps: [gps('veh_rt', 0)], dtc: [dtc], events: [event] });
    expect(result.records).toBe(3);
    await producer.close();
    await producer.close(); // idempotent

    const [gpsRecord] = await readBack(catalogue.get('telemetry.gps').name, 1);
    expect(gpsRecord?.message.key?.toString()).toBe('veh_rt');
    expect(gpsRecord?.message.value?.readUInt8(0)).toBe(0); // Confluent magic byte
    // Avro writes null for an optional field left out (simulated: a real vehicle).
    expect(await registry.decode(gpsRecord!.message.value!)).toEqual({ ...gps('veh_rt', 0), simulated: null });
    const [dtcRecord] = await readBack(catalogue.get('telemetry.dtc').name, 1);
    expect(await registry.decode(dtcRecord!.message.value!)).toEqual({ ...dtc, simulated: null });
    const [eventRecord] = await readBack(catalogue.get('telemetry.events').name, 1);
    expect(await registry.decode(eventRecord!.message.value!)).toMatchObject(event);
  });

  it('close() waits for publishes still in flight', async () => {
    const topic = catalogue.get('telemetry.dtc').name;
    const before = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    const producer = newProducer();
    await producer.connect();
    const dtc = (seq: number): Dtc => ({ vehicleId: `veh_flush_${seq % 7}`, accountId: 'acc_1', time, code: 'P0301', source: 'OBD_II', status: 'pending', seq });
    const pending = [0, 1, 2, 3].map((batch) => producer.publishDtc(Array.from({ length: 500 }, (_, i) => dtc(batch * 500 + i))));
    await producer.close();
    await Promise.all(pending);
    const after = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    expect(after - before).toBe(2_000);
    await expect(producer.publishDtc([dtc(0)])).rejects.toMatchObject({ code: 'PRODUCER_CLOSED' });
  });

  it('puts a vehicle on the same partition across producer restarts, the one the Java client would choose', async () => {
    const vehicles = Array.from({ length: 60 }, (_, i) => `veh_part_${i}_${(i * 7_919).toString(36)}`);
    for (const round of [1, 2]) {
      const producer = newProducer();
      await producer.connect();
      await producer.publishGps(vehicles.map((v) => gps(v, round)));
      await producer.close();
    }
    const topic = catalogue.get('telemetry.gps').name;
    const records = await readBack(topic, 1 + vehicles.length * 2);
    const partitionsByKey = new Map<string, Set<number>>();
    for (const { partition, message } of records) {
      const key = message.key!.toString();
      partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(partition));
    }
    const java = javaPartitionsFor(vehicles, partitions);
    const actual = vehicles.map((v) => [...(partitionsByKey.get(v) ?? [])]);
    expect(actual).toEqual(java.map((p) => [p]));
    expect(new Set(java).size).toBeGreaterThan(1); // the keys really spread over partitions
  });
});
