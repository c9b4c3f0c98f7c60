import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { topicCatalogue } from '../../schemas/topics.js';
import type { TopicCatalogue } from '../../schemas/topics.js';
import { TelemetryProducer } from '../../services/producer/telemetry-producer.js';
import { ValidationError } from '../../services/shared/errors.js';
import { adminOf, createKafkaClient } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { applyTopicCatalogue } from '../../services/topics/apply-topic-catalogue.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';

const kafka = new Kafka({ clientId: 'producer-validation-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.WARN });
const full = topicCatalogue({ prefix: `${uniqueName('it-valid')}.`, partitions: { telemetry: 2 } });
const catalogue: TopicCatalogue = { ...full, topics: full.topics.filter((t) => t.group === 'telemetry') };
let admin: Admin;
let producer: TelemetryProducer;

const time = Date.UTC(2025, 5, 1, 12);
const point: GpsPoint = {
  vehicleId: 'veh_v', accountId: 'acc_1', time, lat: 48.85, lon: 2.35, speedKmh: 30, headingDeg: 10, odometerKm: 5, ignition: true,
};
const event: VehicleEvent = { vehicleId: 'veh_v', accountId: 'acc_1', time, type: 'ignition_on' };

/** Sum of high watermarks over all partitions of a catalogue topic. */
async function recordsIn(topicId: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(catalogue.get(topicId).name);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

async function rejection(publish: () => Promise<unknown>): Promise<ValidationError> {
  const err: unknown = await publish().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe('invalid telemetry never reaches Kafka', () => {
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    // A fresh topic's leader can take a moment to appear in metadata; applying again is idempotent.
    await waitFor(() => applyTopicCatalogue(adminOf(admin), catalogue, 1).then(() => true), { timeoutMs: 30_000, intervalMs: 500, what: 'test topics' });
    const client = createKafkaClient({ brokers: stackEnv.kafkaBrokers, clientId: 'producer-validation-test', logger: createLogger('test', { level: 'error' }) });
    producer = new TelemetryProducer(client, new SchemaRegistryClient({ url: stackEnv.registryUrl }), catalogue, {
      compression: 'none',
      autoRegisterSchemas: true,
    });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.close();
    await admin.deleteTopics({ topics: catalogue.topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  });

  it.each([
    ['a missing field', { ...point, lat: undefined }, 'gps[1].lat', /is required/],
    ['a wrong type', { ...point, speedKmh: '30' }, 'gps[1].speedKmh', /must be a number.*"30"/],
    ['NaN coordinates', { ...point, lat: Number.NaN, lon: Number.NaN }, 'gps[1].lat', /finite number.*got NaN/],
    ['latitude out of range', { ...point, lat: 91 }, 'gps[1].lat', /<= 90.*got 91/],
    ['longitude out of range', { ...point, lon: -181 }, 'gps[1].lon', />= -180.*got -181/],
  ])('rejects a GPS batch with %s, naming the field, and publishes none of it', async (_name, bad, field, message) => {
    const err = await rejection(() => producer.publishGps([point, bad as GpsPoint, point]));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(await recordsIn('telemetry.gps')).toBe(0);
  });

  it('rejects an unknown event type, naming the field and value, and publishes nothing of a mixed batch', async () => {
    const err = await rejection(() =>
      producer.publish({ gps: [point], events: [event, { ...event, type: 'teleported' as VehicleEvent['type'] }] }),
    );
    expect(err.field).toBe('events[1].type');
    expect(err.message).toMatch(/must be one of .* got "teleported"/);
    expect(await recordsIn('telemetry.gps')).toBe(0);
    expect(await recordsIn('telemetry.events')).toBe(0);
  });

  it('still publishes valid records afterwards', async () => {
    await producer.publish({ gps: [point], events: [event] });
    expect(await recordsIn('telemetry.gps')).toBe(1);
    expect(await recordsIn('telemetry.events')).toBe(1);
  });
});
