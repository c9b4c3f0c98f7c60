import type { GpsPoint } from '../schemas/telemetry-records.js';

/** `count` realistic GPS points spread round-robin over `vehicles` vehicles, built before timing starts. */
export function gpsFixtures(count: number, vehicles: number): GpsPoint[] {
  const startMs = Date.UTC(2025, 5, 1, 8);
  const points: GpsPoint[] = new Array<GpsPoint>(count);
  for (let i = 0; i < count; i++) {
    const v = i % vehicles;
    const seq = Math.floor(i / vehicles);
    points[i] = {
      vehicleId: `veh_${String(v + 1).padStart(6, '0')}`,
      accountId: `acc_${String((v % 40) + 1).padStart(4, '0')}`,
      time: startMs + seq * 1_000 + v,
      lat: 52.52 + ((v * 37 + seq) % 1_000) / 10_000,
      lon: 13.405 + ((v * 53 + seq * 3) % 1_000) / 10_000,
      speedKmh: (seq * 7 + v) % 130,
      headingDeg: (seq * 11 + v * 3) % 360,
      odometerKm: 10_000 + v * 100 + seq * 0.014,
      ignition: true,
      postedSpeedLimitKmh: [30, 50, 70, 120][v % 4] ?? null,
      driverId: v % 3 === 0 ? null : `drv_${String(v).padStart(5, '0')}`,
      seq,
    };
  }
  return points;
}
