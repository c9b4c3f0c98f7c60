import { describe, expect, it } from 'vitest';
import { validateBatch, validateDtc, validateGpsPoint, validateVehicleEvent } from '../../../../services/producer/telemetry-validator.js';
import { FleetModel } from '../../../../services/producer/simulator/fleet-model.js';
import type { FleetOptions } from '../../../../services/producer/simulator/fleet-model.js';
import type { TickRecords } from '../../../../services/producer/simulator/vehicle-simulator.js';

const options: FleetOptions = { seed: 42, vehicles: 20, accounts: 3, startTimeMs: Date.UTC(2025, 0, 6, 8), stepMs: 1_000 };

function run(opts: FleetOptions, ticks: number): TickRecords[] {
  const model = new FleetModel(opts);
  return Array.from({ length: ticks }, () => model.tick());
}

describe('fleet model', () => {
  it('produces identical records for the same seed', () => {
    expect(run(options, 600)).toEqual(run(options, 600));
  });

  it('produces different records for another seed', () => {
    expect(run({ ...options, seed: 43 }, 50)).not.toEqual(run(options, 50));
  });

  it('dtcPerHour sets how often trouble codes come: none at 0, many at 60 per vehicle-hour', () => {
    const dtcs = (ticks: TickRecords[]): number => ticks.reduce((n, t) => n + t.dtc.length, 0);
    expect(dtcs(run({ ...options, dtcPerHour: 0 }, 900))).toBe(0);
    expect(dtcs(run({ ...options, dtcPerHour: 60 }, 900))).toBeGreaterThan(dtcs(run(options, 900)));
  });

  it('without device ignition events sends the same points and every other event, only no ignition_on/off', () => {
    const withDevice = run(options, 900);
    const derived = run({ ...options, deviceIgnitionEvents: false }, 900);
    expect(derived.map((t) => t.gps)).toEqual(withDevice.map((t) => t.gps));
    const types = (ticks: TickRecords[]): string[] => ticks.flatMap((t) => t.events.map((e) => `${e.vehicleId}:${e.type}:${e.time}`));
    const ignition = (key: string): boolean => /:ignition_o(n|ff):/.test(key);
    expect(types(withDevice).filter(ignition).length).toBeGreaterThan(0);
    expect(types(derived).filter(ignition)).toEqual([]);
    expect(types(derived)).toEqual(types(withDevice).filter((key) => !ignition(key)));
  });

  it('keeps a vehicle’s behaviour independent of the fleet size', () => {
    const small = run({ ...options, vehicles: 3, accounts: 3 }, 300).map((t) => t.gps[2]);
    const large = run(options, 300).map((t) => t.gps[2]);
    expect(small).toEqual(large);
  });

  it('reports one GPS point per vehicle per tick, with seq increasing per vehicle and topic', { timeout: 30_000 }, () => {
    const ticks = run(options, 3_600);
    const lastSeq = new Map<string, number>();
    const problems: string[] = [];
    for (const t of ticks) {
      if (t.gps.length !== options.vehicles) problems.push(`${t.gps.length} GPS points in a tick`);
      for (const [topic, records] of Object.entries(t)) {
        for (const r of records as { vehicleId: string; seq?: number | null }[]) {
          const key = `${topic}/${r.vehicleId}`;
          const expected = (lastSeq.get(key) ?? -1) + 1;
          if (r.seq !== expected) problems.push(`${key}: seq ${r.seq} after ${expected - 1}`);
          lastSeq.set(key, r.seq ?? -1);
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('emits only records the producer accepts, with plausible motion', { timeout: 30_000 }, () => {
    const ticks = run(options, 2 * 3_600);
    const previous = new Map<string, { speedKmh: number; odometerKm: number; time: number }>();
    const eventTypes = new Set<string>();
    const problems: string[] = [];
    let speedingPoints = 0;
    let movingPoints = 0;
    for (const t of ticks) {
      problems.push(...validateBatch(t.gps, validateGpsPoint, 'gps').map((i) => `${i.field} ${i.message}`));
      problems.push(...validateBatch(t.dtc, validateDtc, 'dtc').map((i) => `${i.field} ${i.message}`));
      problems.push(...validateBatch(t.events, validateVehicleEvent, 'events').map((i) => `${i.field} ${i.message}`));
      for (const e of t.events) eventTypes.add(e.type);
      for (const p of t.gps) {
        const before = previous.get(p.vehicleId);
        if (before !== undefined) {
          if (p.time - before.time !== options.stepMs) problems.push(`${p.vehicleId}: ${p.time - before.time} ms between points`);
          // Bounded acceleration and braking: at most ~4.4 m/s² (16 km/h per second).
          if (Math.abs(p.speedKmh - before.speedKmh) > 16) problems.push(`${p.vehicleId}: ${before.speedKmh} → ${p.speedKmh} km/h in 1 s`);
          if (p.odometerKm < before.odometerKm) problems.push(`${p.vehicleId}: odometer went back`);
        }
        if (!p.ignition && p.speedKmh !== 0) problems.push(`${p.vehicleId}: moving with the ignition off`);
        if (p.speedKmh > 5) movingPoints++;
        if (p.postedSpeedLimitKmh != null && p.speedKmh > p.postedSpeedLimitKmh * 1.05) speedingPoints++;
        previous.set(p.vehicleId, p);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(movingPoints / (ticks.length * options.vehicles)).toBeGreaterThan(0.2);
    expect(speedingPoints).toBeGreaterThan(0);
    expect(speedingPoints / movingPoints).toBeLessThan(0.3);
    for (const type of ['ignition_on', 'ignition_off', 'heartbeat', 'driver_assignment', 'dvir', 'temperature']) {
      expect(eventTypes, type).toContain(type);
    }
  });
});
