import { parseArgs } from 'node:util';
import type { GpsPoint } from '../schemas/telemetry-records.js';
import { defaultTimings } from '../services/deriver/rules/derive-params.js';
import type { DeriveParams } from '../services/deriver/rules/derive-params.js';
import { stepVehicle } from '../services/deriver/rules/step-vehicle.js';
import type { VehicleState } from '../services/deriver/rules/vehicle-state.js';
import { LandmarkIndex } from '../services/shared/landmarks/landmark-index.js';
import type { Landmark, LandmarkShape } from '../services/shared/landmarks/landmark-types.js';

/**
 * `npx tsx bench/deriver-rules.ts [-- --points 1000000 --vehicles 1000 --landmarks 10000]`:
 * the event rules alone (no Kafka, no Avro) — one process stepping GPS points of many
 * vehicles through `stepVehicle` against one account's landmarks (half circles, half
 * 12-corner polygons, spread over ~50 × 50 km), with two speeding and one posted-speeding
 * rule. Prints points/s, CPU µs per point and the events derived. What the deriver service
 * adds (decode, produce, changelog) comes on top; this says whether the rules leave room.
 */
const { values } = parseArgs({ options: { points: { type: 'string', default: '1000000' }, vehicles: { type: 'string', default: '1000' }, landmarks: { type: 'string', default: '10000' } } });
const points = Number(values.points);
const vehicles = Number(values.vehicles);
const landmarkCount = Number(values.landmarks);

let seed = 42;
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const [lat0, lon0, spanDeg] = [52.3, 13.1, 0.45];

const index = new LandmarkIndex();
for (let i = 0; i < landmarkCount; i++) {
  const lat = lat0 + random() * spanDeg;
  const lon = lon0 + random() * spanDeg;
  const radiusM = 50 + random() * 250;
  const shape: LandmarkShape = i % 2 === 0
    ? { type: 'circle', center: { lat, lon }, radiusM }
    : { type: 'polygon', coordinates: [Array.from({ length: 13 }, (_, k) => [lon + (radiusM / 68_000) * Math.cos((k % 12) * Math.PI / 6), lat + (radiusM / 111_000) * Math.sin((k % 12) * Math.PI / 6)] as [number, number])] };
  const landmark: Landmark = { id: `lm_${String(i).padStart(25, '0')}`, accountId: 'acc_bench', name: `L${i}`, shape, createdAt: '', updatedAt: '', revision: 1 };
  index.upsert(landmark);
}
const params: DeriveParams = {
  rules: { speeding: [{ threshold: 100, units: 'kmh' }, { threshold: 70, units: 'mph' }], postedSpeeding: [{ threshold: 10, units: 'kmh' }] },
  landmarks: index.lookup('acc_bench'),
  timings: defaultTimings,
};

const t0 = Date.UTC(2026, 0, 5, 6);
const fleet = Array.from({ length: vehicles }, (_, v) => ({
  id: `veh_${v}`, lat: lat0 + random() * spanDeg, lon: lon0 + random() * spanDeg, heading: random() * 2 * Math.PI, odometerKm: 10_000 * random(),
}));
const states = new Map<string, VehicleState>();
let events = 0;
const started = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (let i = 0; i < points; i++) {
  const v = fleet[i % vehicles] as (typeof fleet)[number];
  const tick = Math.floor(i / vehicles);
  // Drives 5 minutes, stands 1 minute with the ignition on, parks 1 minute; a point every 5 s.
  const phase = tick % 84;
  const ignition = phase < 72;
  const speedKmh = phase < 60 ? 40 + 80 * random() : 0;
  if (speedKmh > 0) {
    if (random() < 0.05) v.heading += (random() - 0.5) * Math.PI;
    const km = (speedKmh * 5) / 3_600;
    v.lat = Math.min(lat0 + spanDeg, Math.max(lat0, v.lat + (km / 111) * Math.cos(v.heading)));
    v.lon = Math.min(lon0 + spanDeg, Math.max(lon0, v.lon + (km / 68) * Math.sin(v.heading)));
    v.odometerKm += km;
  }
  const point: GpsPoint = {
    vehicleId: v.id, accountId: 'acc_bench', time: t0 + tick * 5_000, lat: v.lat, lon: v.lon, speedKmh, headingDeg: 0,
    odometerKm: v.odometerKm, ignition, postedSpeedLimitKmh: 80,
  };
  const r = stepVehicle(states.get(v.id) ?? null, { point, position: { partition: 0, offset: String(i) } }, params);
  states.set(v.id, r.state);
  events += r.events.length;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system) / points;
console.log(JSON.stringify({
  points, vehicles, landmarks: landmarkCount, seconds: Number(seconds.toFixed(2)),
  pointsPerSecond: Math.round(points / seconds), cpuMicrosPerPoint: Number(cpuUs.toFixed(2)), events,
}));
