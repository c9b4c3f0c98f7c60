import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import { bearingDeg, distanceKm, moveBy, normaliseHeading } from './geo-math.js';
import type { LatLon } from './geo-math.js';
import { roadTypes } from './road-types.js';
import type { RoadType } from './road-types.js';
import type { SeededRandom } from './seeded-random.js';
import { dtcCatalogue } from './dtc-catalogue.js';

export interface TickRecords {
  readonly gps: GpsPoint[];
  readonly dtc: Dtc[];
  readonly events: VehicleEvent[];
}

export interface VehicleProfile {
  readonly vehicleId: string;
  readonly accountId: string;
  readonly home: LatLon;
  /** Heavy-duty vehicles report J1939 codes, light-duty OBD-II. */
  readonly heavyDuty: boolean;
  /** Refrigerated trailer with a temperature probe. */
  readonly reeferSetpointCelsius: number | null;
  /** How readily the driver speeds, 0..1. */
  readonly aggressiveness: number;
  readonly drivers: readonly string[];
}

type Phase =
  | { kind: 'parked'; untilMs: number }
  | { kind: 'driving'; tripLeftKm: number }
  | { kind: 'stopped'; untilMs: number; trip: { tripLeftKm: number } };

const accelKmhPerS = 9; // ~2.5 m/s²
const brakeKmhPerS = 14; // ~4 m/s²
const heartbeatEveryMs = 5 * 60_000;
const temperatureEveryMs = 2 * 60_000;
const roamKm = 25;

/**
 * One simulated vehicle: parks, switches the ignition on, drives stretches of road at
 * about their posted limit (sometimes over it) with bounded acceleration, stops at
 * junctions and idles, ends trips and parks again. Emits a GPS point every step plus
 * occasional device events and DTCs; all randomness comes from its own seeded stream.
 */
export class VehicleSimulator {
  private position: LatLon;
  private headingDeg: number;
  private speedKmh = 0;
  private odometerKm: number;
  private road: RoadType = 'residential';
  private roadLeftKm = 0;
  private targetKmh = 0;
  private stopAtRoadEnd = false;
  private phase: Phase;
  private driverId: string | null = null;
  private lastHeartbeatMs: number;
  private lastTemperatureMs: number;
  private readonly activeDtcs = new Set<string>();
  private readonly seq = { gps: 0, dtc: 0, events: 0 };

  constructor(
    private readonly profile: VehicleProfile,
    private readonly rng: SeededRandom,
    startMs: number,
    private readonly device: { readonly ignitionEvents: boolean; readonly dtcPerHour: number } = { ignitionEvents: true, dtcPerHour: 0.3 },
  ) {
    this.position = moveBy(profile.home, rng.between(0, 360), rng.between(0, 5));
    this.headingDeg = normaliseHeading(rng.between(0, 360));
    this.odometerKm = Math.round(rng.between(5_000, 400_000) * 10) / 10;
    this.phase = { kind: 'parked', untilMs: startMs + rng.between(0, 90_000) };
    this.lastHeartbeatMs = startMs - rng.between(0, heartbeatEveryMs);
    this.lastTemperatureMs = startMs - rng.between(0, temperatureEveryMs);
  }

  step(nowMs: number, dtMs: number, out: TickRecords): void {
    switch (this.phase.kind) {
      case 'parked':
        this.stepParked(this.phase, nowMs, out);
        break;
      case 'stopped':
        this.stepStopped(this.phase, nowMs);
        break;
      case 'driving':
        this.stepDriving(this.phase, nowMs, dtMs, out);
        break;
    }
    if (this.phase.kind !== 'parked') this.maybeDeviceReadings(nowMs, dtMs, out);
    out.gps.push(this.gpsPoint(nowMs));
  }

  private stepParked(phase: Extract<Phase, { kind: 'parked' }>, nowMs: number, out: TickRecords): void {
    this.speedKmh = 0;
    if (nowMs - this.lastHeartbeatMs >= heartbeatEveryMs) {
      this.lastHeartbeatMs = nowMs;
      this.emit(out, nowMs, { type: 'heartbeat', lat: this.position.lat, lon: this.position.lon });
    }
    if (nowMs < phase.untilMs) return;
    if (this.device.ignitionEvents) this.emit(out, nowMs, { type: 'ignition_on', lat: this.position.lat, lon: this.position.lon, odometerKm: this.odometerKm });
    if (this.driverId === null || this.rng.chance(0.25)) {
      this.driverId = this.rng.pick(this.profile.drivers);
      this.emit(out, nowMs, { type: 'driver_assignment', driverId: this.driverId });
    }
    if (this.rng.chance(0.3)) this.emitDvir(out, nowMs);
    const tripLeftKm = this.rng.chance(0.2) ? this.rng.between(20, 80) : this.rng.between(1.5, 15);
    this.phase = { kind: 'driving', tripLeftKm };
    this.startRoad(this.road);
  }

  private stepStopped(phase: Extract<Phase, { kind: 'stopped' }>, nowMs: number): void {
    this.speedKmh = 0;
    if (nowMs < phase.untilMs) return;
    this.phase = { kind: 'driving', ...phase.trip };
    this.turn();
    this.startRoad(this.rng.weighted(roadTypes[this.road].next));
  }

  private stepDriving(phase: Extract<Phase, { kind: 'driving' }>, nowMs: number, dtMs: number, out: TickRecords): void {
    const dtS = dtMs / 1_000;
    const tripEndsFirst = phase.tripLeftKm <= this.roadLeftKm;
    const stopAhead = this.stopAtRoadEnd || tripEndsFirst;
    const leftKm = Math.min(this.roadLeftKm, phase.tripLeftKm);
    const brakingKm = (this.speedKmh / 3.6) ** 2 / (2 * (brakeKmhPerS / 3.6)) / 1_000;
    const wantKmh = stopAhead && leftKm <= brakingKm + 0.005 ? 0 : this.targetKmh + this.rng.noise(1.5);
    const deltaKmh = Math.max(-brakeKmhPerS * dtS, Math.min(accelKmhPerS * dtS, wantKmh - this.speedKmh));
    this.speedKmh = Math.max(0, this.speedKmh + deltaKmh);
    const movedKm = Math.min((this.speedKmh / 3_600) * dtS, stopAhead ? Math.max(0, leftKm) : Number.POSITIVE_INFINITY);
    this.headingDeg = normaliseHeading(this.headingDeg + this.rng.noise(this.road === 'highway' ? 0.3 : 1) * dtS);
    this.position = moveBy(this.position, this.headingDeg, movedKm);
    this.odometerKm += movedKm;
    this.roadLeftKm -= movedKm;
    phase.tripLeftKm -= movedKm;
    const arrived = stopAhead ? this.speedKmh < 1 && leftKm - movedKm < 0.03 : this.roadLeftKm <= 0;
    if (!arrived) return;
    if (stopAhead) this.speedKmh = 0;
    if (tripEndsFirst) return this.endTrip(nowMs, out);
    if (this.stopAtRoadEnd) {
      // Junction: a light, a stop sign, sometimes a long idle (waiting, loading).
      const idleMs = this.rng.chance(0.08) ? this.rng.between(180_000, 600_000) : this.rng.between(5_000, 60_000);
      this.phase = { kind: 'stopped', untilMs: nowMs + idleMs, trip: phase };
      return;
    }
    this.headingDeg = normaliseHeading(this.headingDeg + this.rng.noise(12));
    this.startRoad(this.rng.weighted(roadTypes[this.road].next));
  }

  private endTrip(nowMs: number, out: TickRecords): void {
    this.speedKmh = 0;
    if (this.device.ignitionEvents) this.emit(out, nowMs, { type: 'ignition_off', lat: this.position.lat, lon: this.position.lon, odometerKm: this.odometerKm });
    const parkedMs = this.rng.chance(0.3) ? this.rng.between(600_000, 3_600_000) : this.rng.between(30_000, 300_000);
    this.phase = { kind: 'parked', untilMs: nowMs + parkedMs };
    this.lastHeartbeatMs = nowMs;
  }

  /** A new stretch of road; sometimes the driver means to speed on it. */
  private startRoad(road: RoadType): void {
    const spec = roadTypes[road];
    this.road = road;
    this.roadLeftKm = this.rng.between(spec.segmentKm[0], spec.segmentKm[1]);
    this.stopAtRoadEnd = this.rng.chance(spec.stopChance);
    const speeding = this.rng.chance(0.05 + 0.25 * this.profile.aggressiveness);
    this.targetKmh = spec.postedLimitKmh * (speeding ? this.rng.between(1.08, 1.3) : this.rng.between(0.85, 1.02));
  }

  /** Turn at a junction; head back towards home when the vehicle has roamed too far. */
  private turn(): void {
    if (distanceKm(this.position, this.profile.home) > roamKm) {
      this.headingDeg = normaliseHeading(bearingDeg(this.position, this.profile.home) + this.rng.noise(20));
      return;
    }
    const turnDeg = this.rng.weighted({ straight: 2, left: 1, right: 1 });
    const delta = turnDeg === 'straight' ? this.rng.noise(10) : turnDeg === 'left' ? -90 + this.rng.noise(10) : 90 + this.rng.noise(10);
    this.headingDeg = normaliseHeading(this.headingDeg + delta);
  }

  private maybeDeviceReadings(nowMs: number, dtMs: number, out: TickRecords): void {
    const setpoint = this.profile.reeferSetpointCelsius;
    if (setpoint !== null && nowMs - this.lastTemperatureMs >= temperatureEveryMs) {
      this.lastTemperatureMs = nowMs;
      const excursion = this.rng.chance(0.05) ? this.rng.between(4, 12) : 0;
      const temperatureCelsius = Math.round((setpoint + this.rng.noise(0.8) + excursion) * 10) / 10;
      this.emit(out, nowMs, { type: 'temperature', temperatureCelsius, sensorId: 'reefer-1', lat: this.position.lat, lon: this.position.lon });
    }
    if (this.rng.happens(this.device.dtcPerHour, dtMs)) this.raiseDtc(nowMs, out);
    for (const code of this.activeDtcs) {
      if (this.rng.happens(0.5, dtMs)) this.clearDtc(code, nowMs, out);
    }
  }

  private raiseDtc(nowMs: number, out: TickRecords): void {
    const entry = this.rng.pick(this.profile.heavyDuty ? dtcCatalogue.J1939 : dtcCatalogue.OBD_II);
    const status = this.rng.chance(0.3) ? 'pending' : 'active';
    if (status === 'active') this.activeDtcs.add(entry.code);
    out.dtc.push({ ...this.ids(), time: nowMs, ...entry, status, seq: this.seq.dtc++ });
  }

  private clearDtc(code: string, nowMs: number, out: TickRecords): void {
    this.activeDtcs.delete(code);
    const all = [...dtcCatalogue.J1939, ...dtcCatalogue.OBD_II];
    const entry = all.find((e) => e.code === code);
    if (entry !== undefined) out.dtc.push({ ...this.ids(), time: nowMs, ...entry, status: 'cleared', seq: this.seq.dtc++ });
  }

  private emitDvir(out: TickRecords, nowMs: number): void {
    const defects = this.rng.chance(0.15) ? [this.rng.pick(['tire tread low', 'brake light out', 'wiper blade worn', 'mirror cracked'])] : [];
    this.emit(out, nowMs, {
      type: 'dvir',
      dvirStatus: defects.length > 0 ? 'defects_found' : 'satisfactory',
      dvirDefects: defects,
      driverId: this.driverId,
    });
  }

  private emit(out: TickRecords, nowMs: number, detail: Omit<VehicleEvent, 'vehicleId' | 'accountId' | 'time'>): void {
    out.events.push({ ...this.ids(), time: nowMs, origin: 'device', ...detail, seq: this.seq.events++ });
  }

  /** Every record says who it is and that it is simulated: endpoints get `mode: "simulated"` for these vehicles. */
  private ids(): { vehicleId: string; accountId: string; simulated: true } {
    return { vehicleId: this.profile.vehicleId, accountId: this.profile.accountId, simulated: true };
  }

  private gpsPoint(nowMs: number): GpsPoint {
    return {
      ...this.ids(),
      time: nowMs,
      lat: round(this.position.lat, 6),
      lon: round(this.position.lon, 6),
      speedKmh: round(this.speedKmh, 1),
      headingDeg: normaliseHeading(round(this.headingDeg, 1)),
      odometerKm: round(this.odometerKm, 3),
      ignition: this.phase.kind !== 'parked',
      postedSpeedLimitKmh: this.phase.kind === 'parked' ? null : roadTypes[this.road].postedLimitKmh,
      driverId: this.phase.kind === 'parked' ? null : this.driverId,
      seq: this.seq.gps++,
    };
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
