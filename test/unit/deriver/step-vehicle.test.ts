import { describe, expect, it } from 'vitest';
import type { GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import { defaultTimings, noLandmarks, noRules } from '../../../services/deriver/rules/derive-params.js';
import type { AccountRules, DeriveParams, LandmarkHit, LandmarkLookup } from '../../../services/deriver/rules/derive-params.js';
import { stepVehicle } from '../../../services/deriver/rules/step-vehicle.js';
import type { VehicleState } from '../../../services/deriver/rules/vehicle-state.js';

const t0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const s = (seconds: number): number => t0 + seconds * 1_000;

/** A point `sec` seconds after t0; defaults: parked with the ignition off. */
const pt = (sec: number, p: Partial<GpsPoint> = {}): GpsPoint => ({
  vehicleId: 'veh_1', accountId: 'acc_1', time: s(sec), lat: 52, lon: 13, speedKmh: 0, headingDeg: 0, odometerKm: 1_000, ignition: false, ...p,
});

const params = (over: Partial<Omit<DeriveParams, 'rules'>> & { rules?: Partial<AccountRules> } = {}): DeriveParams => ({
  landmarks: noLandmarks, timings: defaultTimings, ...over, rules: { ...noRules, ...over.rules },
});

interface Run {
  readonly events: VehicleEvent[];
  readonly state: VehicleState | null;
}

/** Feeds points at offsets first, first+1, … of partition 0. */
function run(points: readonly GpsPoint[], p: DeriveParams, from: VehicleState | null = null, first = 0): Run {
  let state = from;
  const events: VehicleEvent[] = [];
  points.forEach((point, i) => {
    const r = stepVehicle(state, { point, position: { partition: 0, offset: String(first + i) } }, p);
    state = r.state;
    events.push(...r.events);
  });
  return { events, state };
}

/** Type and seconds after t0 of each event, the short form most tests compare. */
const brief = (events: readonly VehicleEvent[]): string[] => events.map((e) => `${e.type}@${(e.time - t0) / 1_000}`);
const withoutHeartbeat = (events: readonly VehicleEvent[]): VehicleEvent[] => events.filter((e) => e.type !== 'heartbeat');

describe('stepVehicle: heartbeat and ignition', () => {
  it.each<[string, GpsPoint[], string[]]>([
    ['a first point is a heartbeat, even with the ignition on; no ignition_on without a transition', [pt(0, { ignition: true })], ['heartbeat@0']],
    ['one heartbeat per UTC day', [pt(0), pt(60), pt(3_600)], ['heartbeat@0']],
    ['the first point after midnight UTC is the next day\'s heartbeat', [pt(0), pt(16 * 3_600 - 1), pt(16 * 3_600), pt(16 * 3_600 + 5)], ['heartbeat@0', 'heartbeat@57600']],
    ['ignition off → on → off', [pt(0), pt(10, { ignition: true }), pt(20, { ignition: true }), pt(30)], ['heartbeat@0', 'ignition_on@10', 'ignition_off@30']],
    ['a point repeating the ignition state is no transition', [pt(0, { ignition: true }), pt(10, { ignition: true })], ['heartbeat@0']],
  ])('%s', (_name, points, expected) => {
    expect(brief(run(points, params()).events)).toEqual(expected);
  });
});

describe('stepVehicle: trips', () => {
  const drive = [
    pt(0),
    pt(10, { ignition: true }),
    pt(20, { ignition: true, speedKmh: 40, odometerKm: 1_000.1, lat: 52.001 }),
    pt(80, { ignition: true, speedKmh: 95.5, odometerKm: 1_001.7, lat: 52.01 }),
    pt(140, { ignition: true, speedKmh: 30, odometerKm: 1_002.9, lat: 52.02 }),
    pt(150, { ignition: true, speedKmh: 0, odometerKm: 1_003, lat: 52.021 }),
    pt(170, { ignition: false, odometerKm: 1_003, lat: 52.021 }),
  ];

  it('a trip from ignition on to ignition off carries start, end, odometer distance, duration and max speed', () => {
    const trips = run(drive, params()).events.filter((e) => e.type === 'trip_complete');
    expect(trips).toEqual([expect.objectContaining({
      time: s(170), lat: 52.021, lon: 13, odometerKm: 1_003,
      tripStartTime: s(10), tripStartLat: 52, tripStartLon: 13,
      durationMs: 160_000, tripDistanceKm: 3, maxSpeedKmh: 95.5, origin: 'derived',
    })]);
  });

  it('ignition_off comes before the trip it completes', () => {
    expect(brief(withoutHeartbeat(run(drive, params()).events))).toEqual(['ignition_on@10', 'ignition_off@170', 'trip_complete@170']);
  });

  it.each<[string, GpsPoint[], string[]]>([
    ['ignition on and off without moving is no trip', [pt(0), pt(10, { ignition: true }), pt(20, { ignition: true, speedKmh: 2 }), pt(30)], ['ignition_on@10', 'ignition_off@30']],
    ['having moved, standing still for 5 minutes with the ignition on completes the trip where it stopped',
      [pt(0), pt(10, { ignition: true }), pt(20, { ignition: true, speedKmh: 50, odometerKm: 1_001 }), pt(30, { ignition: true, odometerKm: 1_002 }),
        pt(200, { ignition: true, odometerKm: 1_002 }), pt(330, { ignition: true, odometerKm: 1_002 })],
      ['ignition_on@10', 'trip_complete@30']],
    ['standing still 4 minutes 59 seconds does not', [pt(0), pt(10, { ignition: true }), pt(20, { ignition: true, speedKmh: 50 }), pt(30, { ignition: true }), pt(329, { ignition: true })], ['ignition_on@10']],
    ['moving again before the 5 minutes keeps one trip',
      [pt(0), pt(10, { ignition: true }), pt(20, { ignition: true, speedKmh: 50 }), pt(30, { ignition: true }), pt(300, { ignition: true, speedKmh: 20 }), pt(400, { ignition: true }), pt(410)],
      ['ignition_on@10', 'idle@300', 'ignition_off@410', 'trip_complete@410']],
  ])('%s', (_name, points, expected) => {
    expect(brief(withoutHeartbeat(run(points, params()).events))).toEqual(expected);
  });

  it('after a stop completed a trip, moving again starts the next one at the last standing point', () => {
    const points = [
      pt(0, { ignition: true, speedKmh: 50, odometerKm: 10 }), pt(10, { ignition: true, odometerKm: 11 }), pt(400, { ignition: true, odometerKm: 11 }),
      pt(500, { ignition: true, odometerKm: 11, lat: 52.5 }), pt(510, { ignition: true, speedKmh: 60, odometerKm: 11.2 }), pt(600, { odometerKm: 13.5 }),
    ];
    const trips = run(points, params()).events.filter((e) => e.type === 'trip_complete');
    expect(trips.map((e) => [e.tripStartTime, e.time, e.tripDistanceKm, e.tripStartLat])).toEqual([[s(0), s(10), 1, 52], [s(500), s(600), 2.5, 52.5]]);
  });

  it('an odometer that steps back counts as no distance', () => {
    const points = [pt(0), pt(10, { ignition: true, odometerKm: 500 }), pt(20, { ignition: true, speedKmh: 30, odometerKm: 0.5 }), pt(30, { odometerKm: 0.6 })];
    expect(run(points, params()).events.find((e) => e.type === 'trip_complete')?.tripDistanceKm).toBe(0);
  });
});

describe('stepVehicle: idle', () => {
  it.each<[string, GpsPoint[], string[], number[]]>([
    ['ignition on below 3 km/h for 2 minutes, then moving: one idle event with its duration, where it idled',
      [pt(0), pt(10, { ignition: true, lat: 51 }), pt(70, { ignition: true, speedKmh: 2.9 }), pt(130, { ignition: true, speedKmh: 3 })], ['ignition_on@10', 'idle@130'], [120_000]],
    ['idling that ends with the ignition off', [pt(0), pt(10, { ignition: true }), pt(100, { ignition: true }), pt(200)], ['ignition_on@10', 'idle@200', 'ignition_off@200'], [190_000]],
    ['shorter than the minimum: no event', [pt(0), pt(10, { ignition: true }), pt(69, { ignition: true, speedKmh: 10 })], ['ignition_on@10'], []],
    ['standing with the ignition off is not idling', [pt(0), pt(1_000), pt(2_000)], [], []],
  ])('%s', (_name, points, expected, durations) => {
    const events = withoutHeartbeat(run(points, params()).events);
    expect(brief(events)).toEqual(expected);
    expect(events.filter((e) => e.type === 'idle').map((e) => e.durationMs)).toEqual(durations);
  });

  it('the idle event is placed where the vehicle idled', () => {
    const events = run([pt(0), pt(10, { ignition: true, lat: 51 }), pt(100, { ignition: true, lat: 51 }), pt(110, { ignition: true, speedKmh: 40, lat: 51.1 })], params()).events;
    expect(events.find((e) => e.type === 'idle')).toMatchObject({ lat: 51, time: s(110), durationMs: 100_000 });
  });
});

describe('stepVehicle: speeding episodes', () => {
  const kmh100 = params({ rules: { speeding: [{ threshold: 100, units: 'kmh' }] } });
  const on = (sec: number, speedKmh: number, extra: Partial<GpsPoint> = {}): GpsPoint => pt(sec, { ignition: true, speedKmh, ...extra });

  it.each<[string, GpsPoint[], string[]]>([
    ['reaching the threshold starts an episode', [on(0, 99.9), on(10, 100), on(20, 120)], ['speeding@10']],
    ['below for less than 30 s, then over again: the same episode', [on(0, 110), on(10, 90), on(39, 95), on(40, 105)], ['speeding@0']],
    ['below for 30 s ends it; the next crossing is a new episode', [on(0, 110), on(10, 90), on(40, 90), on(41, 101)], ['speeding@0', 'speeding@41']],
    ['a sparse track: a point over resets the 30 s', [on(0, 110), on(10, 90), on(50, 105), on(60, 90), on(89, 90), on(90, 101)], ['speeding@0']],
    ['never over: nothing', [on(0, 99), on(100, 50)], []],
  ])('%s', (_name, points, expected) => {
    expect(brief(withoutHeartbeat(run(points, kmh100).events))).toEqual(expected);
  });

  it('carries the measured speed, the threshold in km/h and the rule as the subscription set it', () => {
    const mph = params({ rules: { speeding: [{ threshold: 60, units: 'mph' }] } });
    // 96.56064 km/h is exactly 60 mph; float division must not put it under.
    const events = withoutHeartbeat(run([on(0, 96.56), on(10, 96.56064)], mph).events);
    expect(events).toEqual([expect.objectContaining({ type: 'speeding', time: s(10), speedKmh: 96.56064, speedLimitKmh: 96.56064, speedThreshold: 60, speedUnits: 'mph' })]);
  });

  it('each rule has its own episodes and its own event id', () => {
    const two = params({ rules: { speeding: [{ threshold: 100, units: 'kmh' }, { threshold: 70, units: 'mph' }] } });
    const events = withoutHeartbeat(run([on(0, 105), on(10, 115), on(20, 105), on(50, 105), on(60, 115)], two).events);
    expect(events.map((e) => `${e.speedThreshold}${e.speedUnits}@${(e.time - t0) / 1_000}`)).toEqual(['100kmh@0', '70mph@10', '70mph@60']);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3);
  });

  it('a rule added during an episode fires at the next point over it; a removed rule forgets its episode', () => {
    const first = run([on(0, 110)], params());
    const added = run([on(10, 110)], kmh100, first.state, 1);
    expect(brief(added.events)).toEqual(['speeding@10']);
    const removed = run([on(20, 110)], params(), added.state, 2);
    expect(removed.state?.speeding).toEqual({});
    expect(brief(run([on(30, 110)], kmh100, removed.state, 3).events)).toEqual(['speeding@30']);
  });

  it.each<[string, GpsPoint[], string[]]>([
    ['posted limit + X reached', [on(0, 59, { postedSpeedLimitKmh: 50 }), on(10, 60, { postedSpeedLimitKmh: 50 })], ['posted_speeding@10']],
    ['a lower limit on the next road starts no new episode within the 30 s', [on(0, 70, { postedSpeedLimitKmh: 50 }), on(10, 70, { postedSpeedLimitKmh: 80 }), on(20, 70, { postedSpeedLimitKmh: 50 })], ['posted_speeding@0']],
    ['an unknown limit counts as under it', [on(0, 90, { postedSpeedLimitKmh: 50 }), on(10, 90), on(45, 90), on(50, 90, { postedSpeedLimitKmh: 50 })], ['posted_speeding@0', 'posted_speeding@50']],
  ])('posted_speeding: %s', (_name, points, expected) => {
    const over10 = params({ rules: { postedSpeeding: [{ threshold: 10, units: 'kmh' }] } });
    expect(brief(withoutHeartbeat(run(points, over10).events))).toEqual(expected);
  });

  it('posted_speeding carries the posted limit, and X in mph compares in mph', () => {
    const mph5 = params({ rules: { postedSpeeding: [{ threshold: 5, units: 'mph' }] } });
    const limit = 50 * 1.609344;
    const events = withoutHeartbeat(run([on(0, 54.9 * 1.609344, { postedSpeedLimitKmh: limit }), on(10, 55 * 1.609344, { postedSpeedLimitKmh: limit })], mph5).events);
    expect(events).toEqual([expect.objectContaining({ type: 'posted_speeding', time: s(10), speedLimitKmh: limit, speedThreshold: 5, speedUnits: 'mph' })]);
  });
});

describe('stepVehicle: landmarks', () => {
  const depot: LandmarkHit = { id: 'lm_depot', name: 'Depot' };
  const yard: LandmarkHit = { id: 'lm_yard', name: 'Yard' };
  /** Landmarks as latitude bands: depot 52.0–52.1, yard 52.05–52.2. */
  const bands = (existing: readonly string[] = ['lm_depot', 'lm_yard']): LandmarkLookup => ({
    containing: (lat) => [...(lat >= 52.05 && lat <= 52.2 && existing.includes('lm_yard') ? [yard] : []), ...(lat >= 52 && lat <= 52.1 && existing.includes('lm_depot') ? [depot] : [])],
    exists: (id) => existing.includes(id),
  });

  it('enter and leave, leaves before enters, sorted by id', () => {
    const points = [pt(0, { lat: 51.9 }), pt(10, { lat: 52.06 }), pt(20, { lat: 52.15 }), pt(30, { lat: 52.01 }), pt(40, { lat: 53 })];
    const events = withoutHeartbeat(run(points, params({ landmarks: bands() })).events);
    expect(events.map((e) => `${e.type}:${e.landmarkId}@${(e.time - t0) / 1_000}`)).toEqual([
      'landmark_enter:lm_depot@10', 'landmark_enter:lm_yard@10', 'landmark_leave:lm_depot@20',
      'landmark_leave:lm_yard@30', 'landmark_enter:lm_depot@30', 'landmark_leave:lm_depot@40',
    ]);
    expect(events[0]).toMatchObject({ landmarkName: 'Depot', lat: 52.06 });
  });

  it('a landmark deleted while the vehicle is inside ends without a leave; one added around it is entered', () => {
    const inside = run([pt(0, { lat: 52.01 })], params({ landmarks: bands(['lm_depot']) }));
    expect(inside.state?.landmarks).toEqual([depot]);
    const deleted = run([pt(10, { lat: 52.01 })], params({ landmarks: bands([]) }), inside.state, 1);
    expect(deleted.events).toEqual([]);
    const added = run([pt(20, { lat: 52.07 })], params({ landmarks: bands(['lm_yard']) }), deleted.state, 2);
    expect(brief(added.events)).toEqual(['landmark_enter@20']);
  });
});

describe('stepVehicle: replays and ids', () => {
  const track = [
    pt(0), pt(10, { ignition: true }), pt(20, { ignition: true, speedKmh: 120, odometerKm: 1_000.5 }),
    pt(80, { ignition: true, speedKmh: 30, odometerKm: 1_002 }), pt(90, { odometerKm: 1_002.1 }),
  ];
  const p = params({ rules: { speeding: [{ threshold: 100, units: 'kmh' }] } });

  it('the same track gives the same events with the same ids; every id is distinct', () => {
    const a = run(track, p).events;
    expect(run(track, p).events).toEqual(a);
    expect(new Set(a.map((e) => e.eventId)).size).toBe(a.length);
    expect(a.every((e) => /^evt_[A-Za-z0-9_-]{26}$/.test(e.eventId ?? ''))).toBe(true);
  });

  it('restored from the state written after any point (through JSON, as the changelog holds it), the rest of the track gives the rest of the events', () => {
    const whole = run(track, p).events;
    for (let cut = 1; cut < track.length; cut++) {
      const head = run(track.slice(0, cut), p);
      const restored = JSON.parse(JSON.stringify(head.state)) as VehicleState;
      const tail = run(track.slice(cut), p, restored, cut);
      expect([...head.events, ...tail.events], `cut at ${cut}`).toEqual(whole);
    }
  });

  it('points the state already holds are skipped: re-reading from an older offset emits nothing twice', () => {
    const whole = run(track, p);
    const again = run(track, p, whole.state);
    expect(again.events).toEqual([]);
    expect(again.state).toEqual(whole.state);
    const r = stepVehicle(whole.state, { point: track[4]!, position: { partition: 0, offset: '4' } }, p);
    expect(r.outcome).toBe('replayed');
  });

  it('the same offset on another partition is not a replay (the topic was repartitioned)', () => {
    const whole = run(track, p);
    const r = stepVehicle(whole.state, { point: pt(100), position: { partition: 3, offset: '0' } }, p);
    expect(r.outcome).toBe('applied');
  });

  it('a point older than the last one is passed over, keeping its position', () => {
    const whole = run(track, p);
    const r = stepVehicle(whole.state, { point: pt(50, { ignition: true, speedKmh: 150 }), position: { partition: 0, offset: '5' } }, p);
    expect(r).toMatchObject({ outcome: 'out_of_order', events: [] });
    expect(r.state).toEqual({ ...whole.state, position: { partition: 0, offset: '5' } });
  });
});
