import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import { maxActiveDtcs } from '../../shared/vehicles/vehicle-snapshot.js';
import type { ActiveDtc, AppliedOffsets, VehicleSnapshot } from '../../shared/vehicles/vehicle-snapshot.js';

/** One decoded telemetry record and where it was read. */
export type TelemetryInput =
  | { readonly kind: 'gps'; readonly record: GpsPoint; readonly partition: number; readonly offset: string }
  | { readonly kind: 'dtc'; readonly record: Dtc; readonly partition: number; readonly offset: string }
  | { readonly kind: 'event'; readonly record: VehicleEvent; readonly partition: number; readonly offset: string };

/** `replayed`: the snapshot already holds this record or a later one of its topic (read again after a restart). */
export type ApplyOutcome = 'applied' | 'replayed';

const appliedKey = { gps: 'gps', dtc: 'dtc', event: 'events' } as const;

/**
 * Folds one telemetry record into its vehicle's snapshot (pure). The newest GPS fix by
 * device time wins (an older point arriving late moves nothing but the offset); a DTC
 * reported `active` is added (or refreshed), `cleared` or `pending` removes it; an event
 * sets the newest time of its type. The mode and account are the latest record's.
 * Each topic's offset is remembered, so a record applied once is recognised.
 */
export function applyTelemetry(prev: VehicleSnapshot | null, input: TelemetryInput): { outcome: ApplyOutcome; snapshot: VehicleSnapshot } {
  const key = appliedKey[input.kind];
  const samePartition = prev !== null && prev.applied.partition === input.partition;
  const last = samePartition ? prev.applied[key] : null;
  if (prev !== null && last !== null && BigInt(input.offset) <= BigInt(last)) return { outcome: 'replayed', snapshot: prev };

  const r = input.record;
  const base: VehicleSnapshot = prev ?? {
    version: 1, vehicleId: r.vehicleId, accountId: r.accountId, mode: 'live', time: r.time, gps: null, activeDtcs: [], lastEventTimes: {},
    applied: { partition: input.partition, gps: null, dtc: null, events: null },
  };
  const applied: AppliedOffsets = samePartition
    ? { ...base.applied, [key]: input.offset }
    : { partition: input.partition, gps: null, dtc: null, events: null, [key]: input.offset };
  const next: VehicleSnapshot = {
    ...base,
    accountId: r.accountId,
    mode: r.simulated === true ? 'simulated' : 'live',
    time: Math.max(base.time, r.time),
    applied,
  };
  switch (input.kind) {
    case 'gps': {
      const p = input.record;
      if (base.gps !== null && p.time < base.gps.time) return { outcome: 'applied', snapshot: next };
      const gps = { time: p.time, lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, headingDeg: p.headingDeg, odometerKm: p.odometerKm, ignition: p.ignition };
      return { outcome: 'applied', snapshot: { ...next, gps } };
    }
    case 'dtc':
      return { outcome: 'applied', snapshot: { ...next, activeDtcs: nextDtcs(base.activeDtcs, input.record) } };
    case 'event': {
      const { type, time } = input.record;
      const seen = base.lastEventTimes[type];
      if (seen !== undefined && seen >= time) return { outcome: 'applied', snapshot: next };
      return { outcome: 'applied', snapshot: { ...next, lastEventTimes: { ...base.lastEventTimes, [type]: time } } };
    }
  }
}

function nextDtcs(active: readonly ActiveDtc[], d: Dtc): ActiveDtc[] {
  const others = active.filter((a) => a.code !== d.code);
  if (d.status !== 'active') return others;
  const held = active.find((a) => a.code === d.code);
  const entry: ActiveDtc = {
    code: d.code, source: d.source, time: Math.max(d.time, held?.time ?? d.time),
    spn: d.spn ?? null, fmi: d.fmi ?? null, description: d.description ?? null,
  };
  const all = [...others, entry];
  // Over the cap, the codes reported longest ago go first.
  const kept = all.length <= maxActiveDtcs ? all : [...all].sort((a, b) => b.time - a.time || (a.code < b.code ? -1 : 1)).slice(0, maxActiveDtcs);
  return kept.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

export interface AppliedBatch {
  /** The new snapshot of each vehicle the batch changed, to write to `vehicle.state` and then keep. */
  readonly snapshots: ReadonlyMap<string, VehicleSnapshot>;
  readonly outcomes: Readonly<Record<ApplyOutcome, number>>;
}

/** Applies records in order over `states` overlaid with the batch's own changes; `states` is left alone. */
export function applyTelemetryBatch(states: ReadonlyMap<string, VehicleSnapshot>, inputs: readonly TelemetryInput[]): AppliedBatch {
  const changed = new Map<string, VehicleSnapshot>();
  const outcomes: Record<ApplyOutcome, number> = { applied: 0, replayed: 0 };
  for (const input of inputs) {
    const vehicleId = input.record.vehicleId;
    const step = applyTelemetry(changed.get(vehicleId) ?? states.get(vehicleId) ?? null, input);
    outcomes[step.outcome] += 1;
    if (step.outcome === 'applied') changed.set(vehicleId, step.snapshot);
  }
  return { snapshots: changed, outcomes };
}
