import { dtcSources, vehicleEventTypes } from '../../../schemas/telemetry-records.js';
import type { FieldIssue } from '../errors.js';
import { complete, readJsonRecord } from '../field-reader.js';
import type { FieldReader } from '../field-reader.js';
import { maxActiveDtcs, vehicleModes } from './vehicle-snapshot.js';
import type { ActiveDtc, AppliedOffsets, SnapshotGps, VehicleSnapshot } from './vehicle-snapshot.js';

export type DecodedSnapshot = { readonly kind: 'ok'; readonly snapshot: VehicleSnapshot } | { readonly kind: 'invalid'; readonly reason: string };

/** A snapshot as the value of its `vehicle.state` record (JSON). */
export function encodeVehicleSnapshot(snapshot: VehicleSnapshot): Buffer {
  return Buffer.from(JSON.stringify(snapshot), 'utf8');
}

/** Reads a `vehicle.state` record back field by field; anything but what the stage writes is `invalid` with the reason. */
export function decodeVehicleSnapshot(value: Buffer): DecodedSnapshot {
  const read = readJsonRecord(value, readSnapshot);
  return read.kind === 'ok' ? { kind: 'ok', snapshot: read.value } : read;
}

const id = { max: 128 } as const;
const offset = { max: 20, pattern: /^\d+$/, patternHint: 'must be a decimal offset' } as const;

function readSnapshot(r: FieldReader, issues: FieldIssue[]): VehicleSnapshot | undefined {
  const version = r.number('version', { integer: true, min: 1, max: 1 });
  const fields = complete({
    vehicleId: r.string('vehicleId', id),
    accountId: r.string('accountId', id),
    mode: r.oneOf('mode', vehicleModes),
    time: r.number('time', { integer: true }),
    gps: r.nullable('gps', (name) => r.object(name, readGps)),
    activeDtcs: r.objectList('activeDtcs', { maxItems: maxActiveDtcs }, readDtc),
    lastEventTimes: r.object('lastEventTimes', (t) => readEventTimes(t, issues)),
    applied: r.object('applied', readApplied),
  });
  r.rejectUnknown();
  return version === 1 && fields !== undefined ? { version, ...fields } : undefined;
}

function readGps(r: FieldReader): SnapshotGps | undefined {
  const gps = complete({
    time: r.number('time', { integer: true }),
    lat: r.number('lat', { min: -90, max: 90 }),
    lon: r.number('lon', { min: -180, max: 180 }),
    speedKmh: r.number('speedKmh', { min: 0 }),
    headingDeg: r.number('headingDeg', { min: 0, below: 360 }),
    odometerKm: r.number('odometerKm', { min: 0 }),
    ignition: r.bool('ignition'),
  });
  r.rejectUnknown();
  return gps;
}

function readDtc(r: FieldReader): ActiveDtc | undefined {
  const dtc = complete({
    code: r.string('code', id),
    source: r.oneOf('source', dtcSources),
    time: r.number('time', { integer: true }),
    spn: r.nullable('spn', (name) => r.number(name, { integer: true, min: 0 })),
    fmi: r.nullable('fmi', (name) => r.number(name, { integer: true, min: 0 })),
    description: r.nullable('description', (name) => r.string(name, { min: 0, max: 4_096 })),
  });
  r.rejectUnknown();
  return dtc;
}

function readEventTimes(r: FieldReader, issues: FieldIssue[]): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  const before = issues.length;
  for (const type of r.keys()) {
    if (!(vehicleEventTypes as readonly string[]).includes(type)) {
      r.fail(type, 'is not a vehicle event type');
      continue;
    }
    const time = r.number(type, { integer: true });
    if (time !== undefined) out[type] = time;
  }
  return issues.length === before ? out : undefined;
}

function readApplied(r: FieldReader): AppliedOffsets | undefined {
  const applied = complete({
    partition: r.number('partition', { integer: true, min: 0 }),
    gps: r.nullable('gps', (name) => r.string(name, offset)),
    dtc: r.nullable('dtc', (name) => r.string(name, offset)),
    events: r.nullable('events', (name) => r.string(name, offset)),
  });
  r.rejectUnknown();
  return applied;
}
