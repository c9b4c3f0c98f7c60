import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import { openApiSchemas } from '../../../services/admin-api/openapi-schemas.js';
import { sampleRecord, sampleSnapshot, testEventBody } from '../../../services/admin-api/test-event-body.js';
import { slotParts } from '../../../services/scheduler/slot-parts.js';
import type { ClosedBatch } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { buildWebhookRequest } from '../../../services/dispatcher/deliver/build-webhook-request.js';
import { decodeDeliveryItem, encodeDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import type { TelemetryItemKind as ItemKind } from '../../../services/dispatcher/delivery-item.js';
import { eventMatches } from '../../../services/dispatcher/match/subscription-matcher.js';
import { checkTelemetryRecord, endpointData } from '../../../services/dispatcher/match/telemetry-record.js';
import { loadAvroSchema } from '../../../services/shared/avro-schema-files.js';
import { eventTypes } from '../../../services/shared/subscriptions/subscription-types.js';
import type { EventSelection, Subscription, SubscriptionSource } from '../../../services/shared/subscriptions/subscription-types.js';
import { plausibleTimeWindow, telemetryValidators } from '../../../services/shared/telemetry/telemetry-rules.js';
import { plainSub } from '../dispatcher/dispatcher-fixtures.js';

const now = new Date();
const contentTypes = ['application/json', 'application/x-www-form-urlencoded'] as const;
const schemaFiles: Record<ItemKind, string> = { gps: 'gps-point.avsc', dtc: 'dtc.avsc', event: 'vehicle-event.avsc' };

/** Records as producers write them (not the sample's code): the live side of the comparison. */
const live: Record<ItemKind, GpsPoint | Dtc | VehicleEvent> = {
  gps: { vehicleId: 'veh_9', accountId: 'acc_alpha', time: now.getTime() - 4_000, lat: 48.1, lon: 11.6, speedKmh: 0, headingDeg: 270, odometerKm: 88, ignition: false, seq: 9 },
  dtc: { vehicleId: 'veh_9', accountId: 'acc_alpha', time: now.getTime() - 4_000, code: 'SPN 100', source: 'J1939', spn: 100, fmi: 1, status: 'pending', seq: 9 },
  event: { vehicleId: 'veh_9', accountId: 'acc_alpha', time: now.getTime() - 4_000, type: 'ignition_on', origin: 'device', seq: 9 },
};
const sources: Record<ItemKind, SubscriptionSource> = { gps: { kind: 'gps' }, dtc: { kind: 'dtc' }, event: { kind: 'event', eventTypes: [{ type: 'ignition_on' }] } };

/** A live request of `kind` built the dispatcher's way: record → delivery item on the topic → batch → request. */
function liveBody(sub: Subscription, kind: ItemKind): string {
  const record = live[kind];
  const value = encodeDeliveryItem({ subscriptionId: sub.id, kind, vehicleId: record.vehicleId, seq: 9, recordTimeMs: record.time, origin: { topic: 't', partition: 0, offset: '5' } }, JSON.stringify(endpointData(record)));
  const decoded = decodeDeliveryItem(value);
  if (decoded.kind !== 'item') throw new Error(decoded.reason);
  const batch: ClosedBatch = { subscriptionId: sub.id, kind, items: [{ item: decoded.item, partition: 0, offset: 5, value }], reason: 'time', openedAtMs: now.getTime() - 2_000 };
  return buildWebhookRequest(sub, batch, { webhookId: 'msg_live', createdAt: now, enqueueTime: new Date(now.getTime() - 2_000), retryCount: 0, queueDepth: 0, now }).body;
}

/** Head fields (in order) and the one item of a body, whatever its content type. */
function parse(body: string, contentType: string): { head: [string, unknown][]; item: Record<string, unknown> } {
  const fields: [string, unknown][] = contentType === 'application/json'
    ? Object.entries(JSON.parse(body) as Record<string, unknown>)
    : [...new URLSearchParams(body).entries()].map(([k, v]) => [k, k === 'data' ? JSON.parse(v) : v]);
  const data = fields.find(([k]) => k === 'data')?.[1] as Record<string, unknown>[];
  expect(data).toHaveLength(1);
  return { head: fields.filter(([k]) => k !== 'data'), item: data[0] as Record<string, unknown> };
}

/** The item back as the topic's record: ISO time to epoch ms, absent optional fields as null. */
function asRecord(kind: ItemKind, item: Record<string, unknown>): Record<string, unknown> {
  const schema = loadAvroSchema(schemaFiles[kind]) as { fields: { name: string }[] };
  const out: Record<string, unknown> = {};
  for (const { name } of schema.fields) out[name] = item[name] ?? null;
  out.time = Date.parse(String(item.time));
  return out;
}

describe('test event body', () => {
  for (const kind of ['gps', 'dtc', 'event'] as const) {
    it.each(contentTypes)(`a ${kind} test event has the live ${kind} body's head and item format (%s)`, (contentType) => {
      const sub = plainSub({ contentType, source: sources[kind] });
      const test = testEventBody(sub, 'msg_test', now);
      const got = parse(test.body, contentType);
      const want = parse(liveBody(sub, kind), contentType);
      // Same head fields in the same order, with the same types; only the id, the mode and the times differ.
      expect(got.head.map(([k]) => k)).toEqual(want.head.map(([k]) => k));
      const differ = new Set(['id', 'mode', 'createdAt', 'enqueueTime', 'requestTime']);
      expect(got.head.filter(([k]) => !differ.has(k))).toEqual(want.head.filter(([k]) => !differ.has(k)));
      expect(Object.fromEntries(got.head)).toMatchObject({ mode: 'test', type: kind, version: contentType === 'application/json' ? 1 : '1' });
      // The item: the time in ISO 8601 like the live one, every field one of the topic's, values the topic accepts.
      expect(got.item.time).toBe(now.toISOString());
      expect(typeof want.item.time).toBe('string');
      const record = asRecord(kind, got.item);
      expect(Object.keys(got.item).every((k) => k in record)).toBe(true);
      expect(avro.Type.forSchema(loadAvroSchema(schemaFiles[kind]) as avro.Schema).isValid(record)).toBe(true);
      expect(checkTelemetryRecord(kind, record, telemetryValidators(plausibleTimeWindow))).toMatchObject({ kind: 'ok' });
    });
  }

  it.each(eventTypes.map((type) => [type]))('a sample %s event is a valid record that its selection matches', (type) => {
    const selection = { type, threshold: 80, units: 'mph', minutes: 10, landmarkIds: ['lm_1'] } as unknown as EventSelection;
    const sample = sampleRecord({ kind: 'event', eventTypes: [selection] }, 'acc_alpha', now);
    expect(sample?.kind).toBe('event');
    const record = asRecord('event', endpointData(sample?.record ?? {}));
    expect(record.type).toBe(type === 'landmark_change' ? 'landmark_enter' : type);
    expect(avro.Type.forSchema(loadAvroSchema(schemaFiles.event) as avro.Schema).isValid(record)).toBe(true);
    expect(checkTelemetryRecord('event', record, telemetryValidators(plausibleTimeWindow))).toMatchObject({ kind: 'ok' });
    expect(sample?.kind === 'event' && eventMatches(selection, sample.record)).toBe(true);
    if (type === 'speeding') expect(record.speedKmh as number).toBeGreaterThan(80 * 1.609344);
    if (type === 'posted_speeding') expect((record.speedKmh as number) - (record.speedLimitKmh as number)).toBeGreaterThan(10 * 1.609344);
    if (type.startsWith('landmark_')) expect(record.landmarkId).toBe('lm_1');
  });

  it('documents both bodies: the live one and the test event validate against the OpenAPI WebhookBody schema, a body without eventName does not', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (formatsPlugin as unknown as { default: (a: Ajv2020) => void }).default(ajv);
    const validate = ajv.compile(openApiSchemas.WebhookBody);
    for (const kind of ['gps', 'dtc', 'event'] as const) {
      const sub = plainSub({ source: sources[kind] });
      const test = testEventBody(sub, 'msg_test', now);
      for (const body of [liveBody(sub, kind), test.kind === 'body' ? test.body : '{}']) {
        expect(validate(JSON.parse(body)), ajv.errorsText(validate.errors)).toBe(true);
      }
    }
    const { eventName: _dropped, ...without } = JSON.parse(liveBody(plainSub(), 'gps')) as Record<string, unknown>;
    expect(validate(without)).toBe(false);
    expect(validate({ ...without, eventName: 'cron' })).toBe(false);
    const scheduled = testEventBody(plainSub({ source: { kind: 'scheduled', cadence: { every: 'hour' } } }), 'msg_test', now).body;
    expect(validate(JSON.parse(scheduled)), ajv.errorsText(validate.errors)).toBe(true);
  });

  it.each(contentTypes)('a scheduled test event has the live scheduled body\'s head and item format, with the subscription\'s fields and units (%s)', (contentType) => {
    const source = { kind: 'scheduled', cadence: { every: 'hour' }, fields: ['speed', 'odometer', 'activeDtcs'], units: 'imperial' } as const;
    const sub = plainSub({ contentType, source });
    const got = parse(testEventBody(sub, 'msg_test', now).body, contentType);
    // The live side: a slot as the scheduler writes it, read and sent by the dispatcher.
    const parts = slotParts({ sub, snapshots: [sampleSnapshot(sub.accountId, now)], slotMs: 3_600_000, claimTopic: 'scheduler.slots', claimOffset: '1', nowMs: now.getTime() });
    const value = parts.records[0]?.value as Buffer;
    const decoded = decodeDeliveryItem(value);
    if (decoded.kind !== 'item') throw new Error(decoded.reason);
    const batch: ClosedBatch = { subscriptionId: sub.id, kind: 'scheduled', items: [{ item: decoded.item, partition: 0, offset: 5, value }], reason: 'full' };
    const want = parse(buildWebhookRequest(sub, batch, { webhookId: 'msg_live', createdAt: now, enqueueTime: now, retryCount: 0, queueDepth: 0, now }).body, contentType);
    expect(got.head.map(([k]) => k)).toEqual(want.head.map(([k]) => k));
    expect(Object.fromEntries(got.head)).toMatchObject({ mode: 'test', type: 'scheduled', eventName: 'scheduled' });
    expect(got.item).toEqual(want.item);
    expect(Object.keys(got.item)).toEqual(['vehicleId', 'accountId', 'mode', 'time', 'speedMph', 'odometerMi', 'activeDtcs']);
  });

  it('no longer uses the old field names', () => {
    const test = testEventBody(plainSub(), 'msg_test', now);
    expect(test.kind === 'body' ? test.body : '').not.toMatch(/speedKph|"heading"|obd2/);
  });
});
