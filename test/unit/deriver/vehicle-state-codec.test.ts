import { describe, expect, it } from 'vitest';
import type { GpsPoint } from '../../../schemas/telemetry-records.js';
import { defaultTimings } from '../../../services/deriver/rules/derive-params.js';
import type { DeriveParams } from '../../../services/deriver/rules/derive-params.js';
import { stepVehicle } from '../../../services/deriver/rules/step-vehicle.js';
import { decodeVehicleState, encodeVehicleState } from '../../../services/deriver/rules/vehicle-state-codec.js';
import type { VehicleState } from '../../../services/deriver/rules/vehicle-state.js';

const t0 = Date.UTC(2026, 0, 5, 8);
const pt = (sec: number, p: Partial<GpsPoint>): GpsPoint => ({
  vehicleId: 'veh_1', accountId: 'acc_1', time: t0 + sec * 1_000, lat: 52, lon: 13, speedKmh: 0, headingDeg: 0, odometerKm: 100, ignition: false, ...p,
});
const params: DeriveParams = {
  rules: { speeding: [{ threshold: 100, units: 'kmh' }, { threshold: 62.5, units: 'mph' }], postedSpeeding: [{ threshold: 10, units: 'kmh' }] },
  landmarks: { containing: (lat) => (lat > 52.05 ? [{ id: 'lm_1', name: 'Depot "north"' }] : []), exists: () => true },
  timings: defaultTimings,
};

/** The state after each point of a track that opens a trip, idles, speeds and enters a landmark. */
function statesOfTrack(): VehicleState[] {
  const track = [
    pt(0, {}), pt(10, { ignition: true }), pt(80, { ignition: true, speedKmh: 120, postedSpeedLimitKmh: 80, odometerKm: 101 }),
    pt(90, { ignition: true, speedKmh: 50, lat: 52.06, odometerKm: 102 }), pt(100, { ignition: true, lat: 52.06, odometerKm: 102 }),
  ];
  const out: VehicleState[] = [];
  let state: VehicleState | null = null;
  track.forEach((point, i) => {
    state = stepVehicle(state, { point, position: { partition: 7, offset: String(1_000_000_000_000 + i) } }, params).state;
    out.push(state);
  });
  return out;
}

describe('vehicle state on the changelog', () => {
  it('every state the rules write reads back equal', () => {
    const states = statesOfTrack();
    expect(states.some((s) => s.trip !== null && s.idleSince !== null && Object.keys(s.speeding).length > 0)).toBe(true);
    for (const state of states) expect(decodeVehicleState(encodeVehicleState(state))).toEqual({ kind: 'ok', state });
  });

  const valid = statesOfTrack()[3] as VehicleState;
  const json = (patch: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ ...valid, ...patch }));

  it.each<[string, Buffer, RegExp]>([
    ['not JSON', Buffer.from('{"version":'), /not JSON/],
    ['another version', json({ version: 2 }), /version/],
    ['no position', json({ position: undefined }), /position/],
    ['an offset that is not a decimal', json({ position: { partition: 7, offset: '1e3' } }), /position.offset: must be a decimal offset/],
    ['a trip without start', json({ trip: { maxSpeedKmh: 1, moved: true, stoppedAt: null } }), /trip.start/],
    ['an episode under a bad key', json({ speeding: { fast: { belowSinceMs: null } } }), /speeding.fast/],
    ['an episode without belowSinceMs', json({ speeding: { '100kmh': {} } }), /speeding.100kmh/],
    ['landmarks not a list', json({ landmarks: {} }), /landmarks/],
    ['an unknown field', json({ colour: 'red' }), /colour/],
  ])('refuses %s, saying why', (_name, bytes, reason) => {
    const decoded = decodeVehicleState(bytes);
    expect(decoded.kind).toBe('invalid');
    expect(decoded.kind === 'invalid' ? decoded.reason : '').toMatch(reason);
  });
});
