import type { GpsPoint } from '../../../schemas/telemetry-records.js';
import type { DeriveTimings } from './derive-params.js';
import type { Fix, LastPoint, TripState } from './vehicle-state.js';

export interface MotionState {
  readonly last: LastPoint;
  readonly idleSince: Fix | null;
  readonly trip: TripState | null;
}

export interface EndedIdle {
  readonly at: Fix;
  readonly durationMs: number;
}

export interface EndedTrip {
  readonly trip: TripState;
  readonly end: Fix;
}

export interface MotionStep {
  readonly idleSince: Fix | null;
  readonly trip: TripState | null;
  readonly idleEnded: EndedIdle | null;
  readonly tripEnded: EndedTrip | null;
}

export function fixOf(p: Fix): Fix {
  return { time: p.time, lat: p.lat, lon: p.lon, odometerKm: p.odometerKm };
}

/**
 * Idle periods and trips, one point at a time (`prev` is null for a vehicle's first point).
 *
 * Idle: ignition on and slower than `movingKmh`; the period ends at the first point that
 * moves or has the ignition off, and is reported then, with its duration, when it lasted
 * at least `idleMinMs`.
 *
 * Trip: opens when the ignition turns on, or when a vehicle with the ignition on starts
 * to move (then it began at the previous point). It completes at the point where the
 * ignition turns off, or — having moved — at the point where it stopped once it has
 * stood still for `tripStopMs`. A trip that never moved is dropped.
 */
export function stepMotion(prev: MotionState | null, point: GpsPoint, t: DeriveTimings): MotionStep {
  const fix = fixOf(point);
  const moving = point.speedKmh >= t.movingKmh;

  let idleSince = prev?.idleSince ?? null;
  let idleEnded: EndedIdle | null = null;
  if (point.ignition && !moving) {
    idleSince ??= fix;
  } else if (idleSince !== null) {
    const durationMs = point.time - idleSince.time;
    if (durationMs >= t.idleMinMs) idleEnded = { at: idleSince, durationMs };
    idleSince = null;
  }

  const wasOn = prev !== null && prev.last.ignition;
  let trip = prev?.trip ?? null;
  if (trip === null && point.ignition && (moving || (prev !== null && !wasOn))) {
    const start = moving && wasOn && prev !== null ? fixOf(prev.last) : fix;
    trip = { start, maxSpeedKmh: 0, moved: false, stoppedAt: null };
  }
  if (trip === null) return { idleSince, trip, idleEnded, tripEnded: null };

  const moved = trip.moved || moving;
  trip = {
    start: trip.start,
    maxSpeedKmh: Math.max(trip.maxSpeedKmh, point.speedKmh),
    moved,
    stoppedAt: moving || !moved ? null : (trip.stoppedAt ?? fix),
  };
  if (wasOn && !point.ignition) return { idleSince, trip: null, idleEnded, tripEnded: moved ? { trip, end: fix } : null };
  if (trip.stoppedAt !== null && point.time - trip.stoppedAt.time >= t.tripStopMs) {
    return { idleSince, trip: null, idleEnded, tripEnded: { trip, end: trip.stoppedAt } };
  }
  return { idleSince, trip, idleEnded, tripEnded: null };
}
