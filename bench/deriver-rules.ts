import { parseArgs } from 'node:util';
import { defaultTimings } from '../services/deriver/rules/derive-params.js';
import type { DeriveParams } from '../services/deriver/rules/derive-params.js';
import { stepVehicle } from '../services/deriver/rules/step-vehicle.js';
import type { VehicleState } from '../services/deriver/rules/vehicle-state.js';
import { LandmarkIndex } from '../services/shared/landmarks/landmark-index.js';
import { BenchFleet, benchAccountId, benchLandmarks, seededRandom } from './deriver-fixtures.js';

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

const random = seededRandom();
const index = new LandmarkIndex();
for (const landmark of benchLandmarks(landmarkCount, random)) index.upsert(landmark);
const params: DeriveParams = {
  rules: { speeding: [{ threshold: 100, units: 'kmh' }, { threshold: 70, units: 'mph' }], postedSpeeding: [{ threshold: 10, units: 'kmh' }] },
  landmarks: index.lookup(benchAccountId),
  timings: defaultTimings,
};

const fleet = new BenchFleet(vehicles, random, Date.UTC(2026, 0, 5, 6));
const states = new Map<string, VehicleState>();
let events = 0;
const started = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (let i = 0; i < points; i++) {
  const point = fleet.point(i);
  const r = stepVehicle(states.get(point.vehicleId) ?? null, { point, position: { partition: 0, offset: String(i) } }, params);
  states.set(point.vehicleId, r.state);
  events += r.events.length;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system) / points;
console.log(JSON.stringify({
  points, vehicles, landmarks: landmarkCount, seconds: Number(seconds.toFixed(2)),
  pointsPerSecond: Math.round(points / seconds), cpuMicrosPerPoint: Number(cpuUs.toFixed(2)), events,
}));
