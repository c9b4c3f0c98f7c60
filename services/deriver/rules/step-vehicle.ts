import type { GpsPoint, VehicleEvent, VehicleEventType } from '../../../schemas/telemetry-records.js';
import { speedRuleKey, speedToKmh } from './derive-params.js';
import type { DeriveParams, SpeedRule } from './derive-params.js';
import { derivedEventId } from './derived-event-id.js';
import type { SourcePosition } from './derived-event-id.js';
import { landmarkTransitions } from './landmark-transitions.js';
import { fixOf, stepMotion } from './motion-rules.js';
import type { EndedTrip } from './motion-rules.js';
import { overPostedLimit, overThreshold, stepSpeedRules } from './speed-rules.js';
import { utcDay } from './vehicle-state.js';
import type { Fix, VehicleState } from './vehicle-state.js';

/** A GPS point and where it was read. */
export interface SourcePoint {
  readonly point: GpsPoint;
  readonly position: SourcePosition;
}

/**
 * `applied`: the point moved the state on. `replayed`: the state already holds this
 * point or a later one of the same partition (read again after a restart); nothing
 * changes. `out_of_order`: its time is before the last point's; it is passed over
 * (only its position is kept), since rules over time cannot run backwards.
 */
export type StepOutcome = 'applied' | 'replayed' | 'out_of_order';

export interface StepResult {
  readonly outcome: StepOutcome;
  readonly state: VehicleState;
  readonly events: readonly VehicleEvent[];
}

type Details = Omit<VehicleEvent, 'vehicleId' | 'accountId' | 'time' | 'type' | 'origin' | 'eventId'>;

/**
 * The event rules (DESIGN.md §8), pure: one vehicle's state and its next point in, the
 * new state and the derived events out. Events of one point come in a fixed order —
 * heartbeat, ignition_on, landmark leaves, landmark enters, speeding, posted_speeding,
 * idle, ignition_off, trip_complete — and each id names the point and the rule, so the
 * same input always gives the same events with the same ids.
 */
export function stepVehicle(prev: VehicleState | null, source: SourcePoint, params: DeriveParams): StepResult {
  const { point, position } = source;
  if (prev !== null && alreadyApplied(prev.position, position)) return { outcome: 'replayed', state: prev, events: [] };
  if (prev !== null && point.time < prev.last.time) return { outcome: 'out_of_order', state: { ...prev, position }, events: [] };

  const events: VehicleEvent[] = [];
  const emit = (rule: string, type: VehicleEventType, details: Details = {}, at: Fix = point, time = point.time): void => {
    events.push({
      vehicleId: point.vehicleId, accountId: point.accountId, time, type, origin: 'derived',
      eventId: derivedEventId(point.vehicleId, position, rule),
      lat: at.lat, lon: at.lon, odometerKm: at.odometerKm,
      ...(point.driverId === undefined || point.driverId === null ? {} : { driverId: point.driverId }),
      ...(point.simulated === true ? { simulated: true } : {}),
      ...details,
    });
  };

  const day = utcDay(point.time);
  if (prev === null || day > prev.heartbeatDay) emit('heartbeat', 'heartbeat');
  const wasOn = prev !== null && prev.last.ignition;
  if (prev !== null && !wasOn && point.ignition) emit('ignition_on', 'ignition_on');

  const landmarks = landmarkTransitions(prev?.landmarks ?? [], point.lat, point.lon, params.landmarks);
  for (const l of landmarks.left) emit(`landmark_leave:${l.id}`, 'landmark_leave', { landmarkId: l.id, landmarkName: l.name });
  for (const l of landmarks.entered) emit(`landmark_enter:${l.id}`, 'landmark_enter', { landmarkId: l.id, landmarkName: l.name });

  const { timings, rules } = params;
  const speeding = stepSpeedRules(prev?.speeding ?? {}, rules.speeding, point, timings.speedingClearMs, overThreshold);
  for (const rule of speeding.started) emit(`speeding:${speedRuleKey(rule)}`, 'speeding', speedDetails(rule, point, speedToKmh(rule.units, rule.threshold)));
  const posted = stepSpeedRules(prev?.postedSpeeding ?? {}, rules.postedSpeeding, point, timings.speedingClearMs, overPostedLimit);
  for (const rule of posted.started) emit(`posted_speeding:${speedRuleKey(rule)}`, 'posted_speeding', speedDetails(rule, point, point.postedSpeedLimitKmh ?? 0));

  const motion = stepMotion(prev, point, timings);
  if (motion.idleEnded !== null) emit('idle', 'idle', { durationMs: motion.idleEnded.durationMs }, motion.idleEnded.at);
  if (wasOn && !point.ignition) emit('ignition_off', 'ignition_off');
  if (motion.tripEnded !== null) emit('trip_complete', 'trip_complete', tripDetails(motion.tripEnded), motion.tripEnded.end, motion.tripEnded.end.time);

  const state: VehicleState = {
    version: 1,
    vehicleId: point.vehicleId,
    accountId: point.accountId,
    position,
    last: { ...fixOf(point), speedKmh: point.speedKmh, ignition: point.ignition },
    idleSince: motion.idleSince,
    trip: motion.trip,
    speeding: speeding.open,
    postedSpeeding: posted.open,
    landmarks: landmarks.inside,
    heartbeatDay: prev === null ? day : Math.max(day, prev.heartbeatDay),
  };
  return { outcome: 'applied', state, events };
}

/** The same partition at this offset or an earlier one (offsets are int64 decimal strings). */
function alreadyApplied(last: SourcePosition, next: SourcePosition): boolean {
  return last.partition === next.partition && BigInt(next.offset) <= BigInt(last.offset);
}

function speedDetails(rule: SpeedRule, point: GpsPoint, limitKmh: number): Details {
  return { speedKmh: point.speedKmh, speedLimitKmh: limitKmh, speedThreshold: rule.threshold, speedUnits: rule.units };
}

function tripDetails({ trip, end }: EndedTrip): Details {
  return {
    tripStartTime: trip.start.time,
    tripStartLat: trip.start.lat,
    tripStartLon: trip.start.lon,
    durationMs: end.time - trip.start.time,
    // Metres are enough; odometers that step back (a device reset) count as no distance.
    tripDistanceKm: Math.max(0, Math.round((end.odometerKm - trip.start.odometerKm) * 1_000) / 1_000),
    maxSpeedKmh: trip.maxSpeedKmh,
  };
}
