import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import type { TelemetryValidators } from '../../shared/telemetry/telemetry-rules.js';
import type { TelemetryItemKind } from '../delivery-item.js';

/** A decoded telemetry record, tagged with the kind of its topic. */
export type TelemetryRecord =
  | { readonly kind: 'gps'; readonly record: GpsPoint }
  | { readonly kind: 'dtc'; readonly record: Dtc }
  | { readonly kind: 'event'; readonly record: VehicleEvent };

export const kindByTopicId: Readonly<Record<string, TelemetryItemKind>> = {
  'telemetry.gps': 'gps',
  'telemetry.dtc': 'dtc',
  'telemetry.events': 'event',
};

export type CheckedRecord = { readonly kind: 'ok'; readonly value: TelemetryRecord } | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Applies the shared telemetry rules (`shared/telemetry/telemetry-rules.ts`, the producer
 * library's) to what Avro decoded: Avro guarantees the shape, not the values (NaN, a
 * latitude of 999, a time outside a JS Date, control characters in an id). The reason
 * names every bad field and its value.
 */
export function checkTelemetryRecord(kind: TelemetryItemKind, decoded: unknown, validators: TelemetryValidators): CheckedRecord {
  const issues = validators[kind](decoded, '');
  if (issues.length > 0) return { kind: 'invalid', reason: `invalid ${kind} record: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}` };
  // The validator has checked every field the types promise.
  switch (kind) {
    case 'gps': return { kind: 'ok', value: { kind, record: decoded as GpsPoint } };
    case 'dtc': return { kind: 'ok', value: { kind, record: decoded as Dtc } };
    case 'event': return { kind: 'ok', value: { kind, record: decoded as VehicleEvent } };
  }
}

/** The record as an endpoint receives it (kept here for the match stage's imports). */
export { endpointData } from '../../shared/webhook/webhook-body.js';
