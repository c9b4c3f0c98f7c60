import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import type { EventSelection, Subscription, SubscriptionSource } from '../shared/subscriptions/subscription-types.js';
import { speedToKmh } from '../shared/telemetry/speed-units.js';
import { scheduledItem } from '../shared/schedule/scheduled-item.js';
import { scheduledOptionsOf } from '../shared/subscriptions/subscription-types.js';
import type { VehicleSnapshot } from '../shared/vehicles/vehicle-snapshot.js';
import { buildBody, endpointData } from '../shared/webhook/webhook-body.js';

/** A sample telemetry record of a live kind, typed as the topics' records are. */
export type SampleRecord =
  | { readonly kind: 'gps'; readonly record: GpsPoint }
  | { readonly kind: 'dtc'; readonly record: Dtc }
  | { readonly kind: 'event'; readonly record: VehicleEvent };

export type TestEvent = { readonly kind: 'body'; readonly body: string };

/**
 * The body of a test event (DESIGN.md §5): built by `buildBody`, the code that builds live
 * requests, with mode `test` and one sample record of the subscription's kind passed
 * through `endpointData` as live items are — the same head fields, `version` included, and
 * the same item fields. A scheduled subscription gets one sample vehicle's item as the
 * scheduler builds it (`scheduledItem`), with its fields and units.
 */
export function testEventBody(sub: Subscription, webhookId: string, now: Date): TestEvent {
  const sample = sampleRecord(sub.source, sub.accountId, now);
  const source = sub.source;
  const dataJson = sample !== null
    ? JSON.stringify([endpointData(sample.record)])
    : JSON.stringify([scheduledItem(sampleSnapshot(sub.accountId, now), scheduledOptionsOf(source.kind === 'scheduled' ? source : {}))]);
  const body = buildBody(sub, sample?.kind ?? 'scheduled', dataJson, {
    webhookId, mode: 'test', createdAt: now, enqueueTime: now, requestTime: now, retryCount: 0, queueDepth: 0,
  });
  return { kind: 'body', body };
}

/** One plausible record per kind; an event subscription gets one of its first event type that its selection matches. */
export function sampleRecord(source: SubscriptionSource, accountId: string, now: Date): SampleRecord | null {
  const base = { vehicleId: 'veh_test', accountId, time: now.getTime(), seq: 1 };
  switch (source.kind) {
    case 'gps':
      return { kind: 'gps', record: { ...base, lat: 52.52, lon: 13.405, speedKmh: 42, headingDeg: 90, odometerKm: 12_345.6, ignition: true, postedSpeedLimitKmh: 50 } };
    case 'dtc':
      return { kind: 'dtc', record: { ...base, code: 'P0300', source: 'OBD_II', status: 'active', description: 'Random/multiple cylinder misfire detected' } };
    case 'event':
      return { kind: 'event', record: sampleEvent(source.eventTypes[0] ?? { type: 'heartbeat' }, base) };
    case 'scheduled':
      return null;
  }
}

/** A plausible vehicle state for a scheduled test event. */
export function sampleSnapshot(accountId: string, now: Date): VehicleSnapshot {
  const time = now.getTime();
  return {
    version: 1, vehicleId: 'veh_test', accountId, mode: 'live', time,
    gps: { time, lat: 52.52, lon: 13.405, speedKmh: 42, headingDeg: 90, odometerKm: 12_345.6, ignition: true },
    activeDtcs: [{ code: 'P0300', source: 'OBD_II', time, spn: null, fmi: null, description: 'Random/multiple cylinder misfire detected' }],
    lastEventTimes: { ignition_on: time - 1_800_000 }, applied: { partition: 0, gps: null, dtc: null, events: null },
  };
}

function sampleEvent(selection: EventSelection, base: { vehicleId: string; accountId: string; time: number; seq: number }): VehicleEvent {
  const type = selection.type === 'landmark_change' ? 'landmark_enter' : selection.type;
  const at = { ...base, type, origin: 'device' as const, eventId: 'evt_test', lat: 52.52, lon: 13.405 };
  switch (selection.type) {
    case 'speeding': {
      const thresholdKmh = Math.round(speedToKmh(selection.units, selection.threshold));
      return { ...at, origin: 'derived', speedKmh: thresholdKmh + 12, speedLimitKmh: thresholdKmh, speedThreshold: selection.threshold, speedUnits: selection.units };
    }
    case 'posted_speeding':
      return { ...at, origin: 'derived', speedKmh: 100 + Math.round(speedToKmh(selection.units, selection.threshold)) + 5, speedLimitKmh: 100, speedThreshold: selection.threshold, speedUnits: selection.units };
    case 'trip_complete':
      return { ...at, origin: 'derived', tripStartTime: base.time - 1_800_000, tripDistanceKm: 21.4, durationMs: 1_800_000, odometerKm: 12_345.6 };
    case 'idle':
      return { ...at, origin: 'derived', durationMs: Math.max(300_000, (selection.minutes ?? 0) * 60_000) };
    case 'landmark_enter':
    case 'landmark_leave':
    case 'landmark_change':
      return { ...at, origin: 'derived', landmarkId: selection.landmarkIds?.[0] ?? 'lm_test', landmarkName: 'Depot' };
    case 'temperature':
      return { ...at, sensorId: 'sensor_test', temperatureCelsius: 4.5 };
    case 'dvir':
      return { ...at, driverId: 'drv_test', dvirStatus: 'defects_found', dvirDefects: ['tyre pressure low'] };
    case 'driver_assignment':
      return { ...at, driverId: 'drv_test' };
    case 'ignition_on':
    case 'ignition_off':
    case 'heartbeat':
      return at;
  }
}
