import { describe, expect, it } from 'vitest';
import type { GpsPoint } from '../../schemas/telemetry-records.js';
import { topicCatalogue, valueSubject } from '../../schemas/topics.js';
import { TelemetryDecoder } from '../../services/shared/telemetry/telemetry-decoder.js';
import { loadAvroSchema } from '../../services/shared/avro-schema-files.js';
import { FleethookError } from '../../services/shared/errors.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

type AvroRecordSchema = { fields: Record<string, unknown>[] } & Record<string, unknown>;
const point: GpsPoint = { vehicleId: 'veh_1', accountId: 'acc_1', time: Date.UTC(2026, 0, 1), lat: 1, lon: 2, speedKmh: 3, headingDeg: 4, odometerKm: 5, ignition: true, seq: 1 };

describe('writer schemas by id (consumers)', () => {
  it('finds a registered schema, calls an id the registry does not know unknown, and keeps finding schemas past its bound', async () => {
    const client = new SchemaRegistryClient({ url: stackEnv.registryUrl, cache: { maxSchemas: 1, maxUnknown: 1 } });
    const ids = [
      await client.register(`${uniqueName('ws-gps')}-value`, loadAvroSchema('gps-point.avsc')),
      await client.register(`${uniqueName('ws-dtc')}-value`, loadAvroSchema('dtc.avsc')),
    ];
    for (const id of [...ids, ...ids]) {
      const found = await client.writerSchema(id);
      expect(found.kind).toBe('found');
    }
    const unknownId = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
    expect(await client.writerSchema(unknownId)).toEqual({ kind: 'unknown' });
    expect(await client.writerSchema(unknownId + 1)).toEqual({ kind: 'unknown' });
  });

  it('an unreachable registry is a retriable SCHEMA_REGISTRY error, never "unknown"', async () => {
    const client = new SchemaRegistryClient({ url: 'http://127.0.0.1:1/apis/ccompat/v7' });
    const err: unknown = await client.writerSchema(1).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FleethookError);
    expect(err).toMatchObject({ code: 'SCHEMA_REGISTRY', retriable: true });
  });

  it('decodes a newer writer schema onto the dispatcher reader schema (the added field is not passed on) and refuses a writer of another record type', async () => {
    const topics = topicCatalogue({ prefix: `${uniqueName('ws')}.` });
    const client = new SchemaRegistryClient({ url: stackEnv.registryUrl });
    const v1 = loadAvroSchema('gps-point.avsc') as AvroRecordSchema;
    const v2 = { ...v1, fields: [...v1.fields, { name: 'fuelLevelPercent', type: ['null', 'double'], default: null }] };
    const subject = valueSubject(topics.get('telemetry.gps').name);
    await client.register(subject, v1);
    const newer = await client.encoderFor<GpsPoint & { fuelLevelPercent: number }>(subject, v2, { autoRegister: true });
    const decoder = new TelemetryDecoder(client, topics);
    const decoded = await decoder.decode('gps', newer.encode({ ...point, fuelLevelPercent: 55 }));
    expect(decoded.kind).toBe('decoded');
    expect({ ...(decoded as { value: object }).value }).toEqual({ ...point, postedSpeedLimitKmh: null, driverId: null, simulated: null });
    const events = await client.encoderFor(`${uniqueName('ws-ev')}-value`, loadAvroSchema('vehicle-event.avsc'), { autoRegister: true });
    const wrong = await decoder.decode('gps', events.encode({ vehicleId: 'v', accountId: 'a', time: 1, type: 'heartbeat' }));
    expect(wrong).toEqual({ kind: 'poison', reason: expect.stringMatching(/^writer schema \d+ cannot be read as a gps record: /) });
  });
});
