import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import type { ItemKind } from './delivery-item.js';

/** A decoded telemetry record, tagged with the kind of its topic. */
export type TelemetryRecord =
  | { readonly kind: 'gps'; readonly record: GpsPoint }
  | { readonly kind: 'dtc'; readonly record: Dtc }
  | { readonly kind: 'event'; readonly record: VehicleEvent };

export const kindByTopicId: Readonly<Record<string, ItemKind>> = {
  'telemetry.gps': 'gps',
  'telemetry.dtc': 'dtc',
  'telemetry.events': 'event',
};

export type CheckedRecord = { readonly kind: 'ok'; readonly value: TelemetryRecord } | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Checks what the registry decoded: Avro already enforces the schema, so this only
 * confirms the fields the dispatcher relies on (a schema mix-up would fail here).
 */
export function checkTelemetryRecord(kind: ItemKind, decoded: unknown): CheckedRecord {
  if (typeof decoded !== 'object' || decoded === null) return { kind: 'invalid', reason: 'decoded value is not a record' };
  const r = decoded as Record<string, unknown>;
  if (typeof r.vehicleId !== 'string' || typeof r.accountId !== 'string') return { kind: 'invalid', reason: 'vehicleId/accountId missing' };
  if (typeof r.time !== 'number' || !Number.isFinite(r.time)) return { kind: 'invalid', reason: 'time missing' };
  if (kind === 'event' && typeof r.type !== 'string') return { kind: 'invalid', reason: 'event type missing' };
  if (kind === 'dtc' && typeof r.code !== 'string') return { kind: 'invalid', reason: 'dtc code missing' };
  if (kind === 'gps' && (typeof r.lat !== 'number' || typeof r.lon !== 'number')) return { kind: 'invalid', reason: 'lat/lon missing' };
  // The checks above are the fields the types promise beyond what Avro guaranteed.
  switch (kind) {
    case 'gps': return { kind: 'ok', value: { kind, record: r as unknown as GpsPoint } };
    case 'dtc': return { kind: 'ok', value: { kind, record: r as unknown as Dtc } };
    case 'event': return { kind: 'ok', value: { kind, record: r as unknown as VehicleEvent } };
  }
}

/** The record as an endpoint receives it: time in ISO 8601, null (absent) fields left out. */
export function endpointData(record: Readonly<Record<string, unknown>> | GpsPoint | Dtc | VehicleEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === null || v === undefined) continue;
    out[k] = k === 'time' && typeof v === 'number' ? new Date(v).toISOString() : v;
  }
  return out;
}
