import { describe, expect, it } from 'vitest';
import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import { applyTelemetry, applyTelemetryBatch } from '../../../services/deriver/state/apply-telemetry.js';
import type { TelemetryInput } from '../../../services/deriver/state/apply-telemetry.js';
import { decodeVehicleSnapshot, encodeVehicleSnapshot } from '../../../services/shared/vehicles/vehicle-snapshot-codec.js';
import { maxActiveDtcs } from '../../../services/shared/vehicles/vehicle-snapshot.js';
import type { VehicleSnapshot } from '../../../services/shared/vehicles/vehicle-snapshot.js';

const t0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const ids = { vehicleId: 'veh_1', accountId: 'acc_1' };
const gps = (offset: number, minute: number, extra: Partial<GpsPoint> = {}): TelemetryInput => ({
  kind: 'gps', partition: 0, offset: String(offset),
  record: { ...ids, time: t0 + minute * 60_000, lat: 52.5, lon: 13.4, speedKmh: 40, headingDeg: 90, odometerKm: 1_000 + minute, ignition: true, ...extra },
});
const dtc = (offset: number, minute: number, code: string, status: Dtc['status'], extra: Partial<Dtc> = {}): TelemetryInput => ({
  kind: 'dtc', partition: 0, offset: String(offset), record: { ...ids, time: t0 + minute * 60_000, code, source: 'OBD_II', status, ...extra },
});
const event = (offset: number, minute: number, type: VehicleEvent['type'], extra: Partial<VehicleEvent> = {}): TelemetryInput => ({
  kind: 'event', partition: 0, offset: String(offset), record: { ...ids, time: t0 + minute * 60_000, type, ...extra },
});

function fold(inputs: readonly TelemetryInput[]): VehicleSnapshot {
  let s: VehicleSnapshot | null = null;
  for (const i of inputs) s = applyTelemetry(s, i).snapshot;
  if (s === null) throw new Error('no input');
  return s;
}

describe('applyTelemetry folds telemetry into the latest state of a vehicle', () => {
  it.each([
    ['the first point sets the fix', [gps(0, 1)], { gps: { time: t0 + 60_000, speedKmh: 40, odometerKm: 1_001, ignition: true }, time: t0 + 60_000 }],
    ['a newer point replaces it', [gps(0, 1), gps(1, 2, { speedKmh: 0, ignition: false })], { gps: { time: t0 + 120_000, speedKmh: 0, ignition: false } }],
    ['an older point read later moves only the offset', [gps(0, 5), gps(1, 2, { speedKmh: 99 })], { gps: { time: t0 + 300_000, speedKmh: 40 }, applied: { gps: '1' } }],
    ['an active DTC is listed', [dtc(0, 1, 'P0301', 'active')], { activeDtcs: [{ code: 'P0301', source: 'OBD_II', time: t0 + 60_000, spn: null, fmi: null, description: null }] }],
    ['a cleared DTC is removed', [dtc(0, 1, 'P0301', 'active'), dtc(1, 2, 'P0301', 'cleared')], { activeDtcs: [] }],
    ['a pending DTC is not active', [dtc(0, 1, 'P0301', 'active'), dtc(1, 2, 'P0301', 'pending')], { activeDtcs: [] }],
    ['codes are kept sorted', [dtc(0, 1, 'P0420', 'active'), dtc(1, 2, 'P0101', 'active')], { activeDtcs: [{ code: 'P0101' }, { code: 'P0420' }] }],
    ['a J1939 code keeps its SPN and FMI', [dtc(0, 1, '110-0', 'active', { source: 'J1939', spn: 110, fmi: 0, description: 'coolant' })], { activeDtcs: [{ code: '110-0', spn: 110, fmi: 0, description: 'coolant' }] }],
    ['each event type keeps its newest time', [event(0, 3, 'ignition_on'), event(1, 1, 'ignition_on'), event(2, 2, 'idle')], { lastEventTimes: { ignition_on: t0 + 180_000, idle: t0 + 120_000 } }],
    ['simulated records make the mode simulated', [gps(0, 1, { simulated: true })], { mode: 'simulated' }],
    ['the latest record decides the mode', [gps(0, 1, { simulated: true }), event(0, 2, 'heartbeat', { simulated: null })], { mode: 'live' }],
    ['the newest time of any kind is the time', [gps(0, 1), event(0, 9, 'heartbeat'), dtc(0, 4, 'P1', 'active')], { time: t0 + 540_000 }],
    ['each topic has its own offset', [gps(7, 1), dtc(3, 1, 'P1', 'active'), event(5, 1, 'heartbeat')], { applied: { partition: 0, gps: '7', dtc: '3', events: '5' } }],
  ] as const)('%s', (_name, inputs, expected) => {
    expect(fold(inputs)).toMatchObject(expected);
  });

  it.each([
    ['the same offset', gps(3, 9)],
    ['an earlier offset', gps(2, 9)],
  ])('a record at %s of its topic and partition is replayed and changes nothing', (_name, again) => {
    const s = fold([gps(3, 1)]);
    expect(applyTelemetry(s, again)).toEqual({ outcome: 'replayed', snapshot: s });
  });

  it('a record of another partition (the topics were repartitioned) is applied and restarts the offsets', () => {
    const s = fold([gps(30, 1), dtc(40, 1, 'P1', 'active')]);
    const next = applyTelemetry(s, { ...gps(2, 2), partition: 1 });
    expect(next.outcome).toBe('applied');
    expect(next.snapshot.applied).toEqual({ partition: 1, gps: '2', dtc: null, events: null });
  });

  it(`keeps at most ${maxActiveDtcs} active codes, dropping those reported longest ago`, () => {
    const inputs = Array.from({ length: maxActiveDtcs + 3 }, (_, i) => dtc(i, i, `P${String(i).padStart(4, '0')}`, 'active'));
    const codes = fold(inputs).activeDtcs.map((d) => d.code);
    expect(codes).toHaveLength(maxActiveDtcs);
    expect(codes).not.toContain('P0000');
    expect(codes).not.toContain('P0002');
    expect(codes).toContain(`P${String(maxActiveDtcs + 2).padStart(4, '0')}`);
  });

  it('a batch overlays its own changes, leaves the input map alone and counts outcomes', () => {
    const held = fold([gps(0, 1)]);
    const states = new Map([[held.vehicleId, held]]);
    const batch = applyTelemetryBatch(states, [gps(0, 1), gps(1, 2), { kind: 'dtc', partition: 0, offset: '0', record: { ...ids, vehicleId: 'veh_2', time: t0, code: 'P1', source: 'OBD_II', status: 'active' } }]);
    expect(batch.outcomes).toEqual({ applied: 2, replayed: 1 });
    expect(states.get('veh_1')).toBe(held);
    expect(batch.snapshots.get('veh_1')?.gps?.time).toBe(t0 + 120_000);
    expect(batch.snapshots.get('veh_2')?.activeDtcs).toHaveLength(1);
  });
});

describe('the vehicle.state record codec', () => {
  const full = fold([gps(0, 1, { simulated: true }), dtc(0, 2, '110-0', 'active', { source: 'J1939', spn: 110, fmi: 0 }), event(0, 3, 'ignition_on')]);

  it('reads back what it writes, also before any GPS point', () => {
    for (const s of [full, fold([event(0, 1, 'heartbeat')])]) expect(decodeVehicleSnapshot(encodeVehicleSnapshot(s))).toEqual({ kind: 'ok', snapshot: s });
  });

  it.each([
    ['not JSON', Buffer.from('{'), 'not JSON'],
    ['another version', { ...full, version: 2 }, 'version'],
    ['an unknown mode', { ...full, mode: 'test' }, 'mode'],
    ['a latitude out of range', { ...full, gps: { ...full.gps, lat: 91 } }, 'gps.lat'],
    ['an unknown event type', { ...full, lastEventTimes: { teleport: 1 } }, 'lastEventTimes.teleport'],
    ['an offset that is not a decimal', { ...full, applied: { ...full.applied, gps: '-1' } }, 'applied.gps'],
    ['an unknown field', { ...full, extra: 1 }, 'extra'],
    ['a DTC without a source', { ...full, activeDtcs: [{ ...full.activeDtcs[0], source: undefined }] }, 'activeDtcs[0].source'],
  ])('refuses %s, naming the field', (_name, value, field) => {
    const decoded = decodeVehicleSnapshot(Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value)));
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind === 'invalid') expect(decoded.reason).toContain(field);
  });
});
