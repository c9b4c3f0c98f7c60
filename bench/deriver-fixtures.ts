import type { GpsPoint } from '../schemas/telemetry-records.js';
import type { Landmark, LandmarkShape } from '../services/shared/landmarks/landmark-types.js';

/**
 * The deriver benches' load (bench/deriver-rules.ts, bench/deriver.ts): one account's
 * landmarks (half circles, half 12-corner polygons, 50–300 m, spread over ~50 × 50 km
 * around Berlin) and a fleet driving among them, one point per vehicle every 5 s:
 * 5 minutes driving at 40–120 km/h, 1 minute standing with the ignition on, 1 minute
 * parked. Deterministic (a fixed-seed generator).
 */
export const benchAccountId = 'acc_bench';
const [lat0, lon0, spanDeg] = [52.3, 13.1, 0.45];
const stepMs = 5_000;

export function seededRandom(seed = 42): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

export function benchLandmarks(count: number, random: () => number): Landmark[] {
  return Array.from({ length: count }, (_, i) => {
    const lat = lat0 + random() * spanDeg;
    const lon = lon0 + random() * spanDeg;
    const radiusM = 50 + random() * 250;
    const ring = Array.from({ length: 13 }, (_, k) => [lon + (radiusM / 68_000) * Math.cos(((k % 12) * Math.PI) / 6), lat + (radiusM / 111_000) * Math.sin(((k % 12) * Math.PI) / 6)] as [number, number]);
    const shape: LandmarkShape = i % 2 === 0 ? { type: 'circle', center: { lat, lon }, radiusM } : { type: 'polygon', coordinates: [ring] };
    return { id: `lm_${String(i).padStart(25, '0')}`, accountId: benchAccountId, name: `L${i}`, shape, createdAt: '', updatedAt: '', revision: 1 };
  });
}

/** Point i of the fleet (round robin over the vehicles); call with i = 0, 1, 2, … in order. */
export class BenchFleet {
  private readonly vehicles: { id: string; lat: number; lon: number; heading: number; odometerKm: number }[];

  constructor(vehicles: number, private readonly random: () => number, private readonly t0Ms: number) {
    this.vehicles = Array.from({ length: vehicles }, (_, v) => ({
      id: `veh_${v}`, lat: lat0 + random() * spanDeg, lon: lon0 + random() * spanDeg, heading: random() * 2 * Math.PI, odometerKm: 10_000 * random(),
    }));
  }

  /** The simulated time the fleet's points span, for `points` points. */
  static spanMs(points: number, vehicles: number): number {
    return Math.ceil(points / vehicles) * stepMs;
  }

  point(i: number): GpsPoint {
    const { random } = this;
    const v = this.vehicles[i % this.vehicles.length] as (typeof this.vehicles)[number];
    const tick = Math.floor(i / this.vehicles.length);
    const phase = tick % 84;
    const ignition = phase < 72;
    const speedKmh = phase < 60 ? 40 + 80 * random() : 0;
    if (speedKmh > 0) {
      if (random() < 0.05) v.heading += (random() - 0.5) * Math.PI;
      const km = (speedKmh * stepMs) / 3_600_000;
      v.lat = Math.min(lat0 + spanDeg, Math.max(lat0, v.lat + (km / 111) * Math.cos(v.heading)));
      v.lon = Math.min(lon0 + spanDeg, Math.max(lon0, v.lon + (km / 68) * Math.sin(v.heading)));
      v.odometerKm += km;
    }
    return {
      vehicleId: v.id, accountId: benchAccountId, time: this.t0Ms + tick * stepMs, lat: v.lat, lon: v.lon, speedKmh, headingDeg: 0,
      odometerKm: v.odometerKm, ignition, postedSpeedLimitKmh: 80,
    };
  }
}
