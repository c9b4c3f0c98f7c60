import { describe, expect, it } from 'vitest';
import { SubscriptionMatcher } from '../../../services/dispatcher/match/subscription-matcher.js';
import type { TelemetryRecord } from '../../../services/dispatcher/match/telemetry-record.js';
import type { VehicleEvent } from '../../../schemas/telemetry-records.js';
import { storedSub } from './dispatcher-fixtures.js';

const gps = (vehicleId: string, accountId = 'acc_alpha'): TelemetryRecord => ({
  kind: 'gps', record: { vehicleId, accountId, time: 1, lat: 0, lon: 0, speedKmh: 50, headingDeg: 0, odometerKm: 0, ignition: true },
});
const event = (e: Partial<VehicleEvent>): TelemetryRecord => ({ kind: 'event', record: { vehicleId: 'veh_1', accountId: 'acc_alpha', time: 1, type: 'heartbeat', ...e } });

describe('SubscriptionMatcher', () => {
  const subs = [
    storedSub({ id: 'sub_gps_all' }),
    storedSub({ id: 'sub_gps_v2', vehicleFilter: { vehicleIds: ['veh_2'] } }),
    storedSub({ id: 'sub_other_account', accountId: 'acc_beta' }),
    storedSub({ id: 'sub_paused', state: 'paused' }),
    storedSub({ id: 'sub_pending', state: 'pending_verification' }),
    storedSub({ id: 'sub_dtc', source: { kind: 'dtc' } }),
    storedSub({ id: 'sub_speed_90', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 90, units: 'kmh' }] } }),
    storedSub({ id: 'sub_posted_10', source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', threshold: 10, units: 'kmh' }] } }),
    storedSub({ id: 'sub_landmark', source: { kind: 'event', eventTypes: [{ type: 'landmark_enter', landmarkIds: ['lm_depot'] }, { type: 'ignition_on' }] } }),
    storedSub({ id: 'sub_sched', source: { kind: 'scheduled', cadence: { every: 'hour' } } }),
  ];
  const matcher = new SubscriptionMatcher(subs);

  it.each<[string, TelemetryRecord, string[]]>([
    ['gps of veh_1 goes to the unfiltered active gps subscription only', gps('veh_1'), ['sub_gps_all']],
    ['gps of veh_2 also reaches the vehicle-filtered one', gps('veh_2'), ['sub_gps_all', 'sub_gps_v2']],
    ['another account sees only its own', gps('veh_1', 'acc_beta'), ['sub_other_account']],
    ['an unknown account matches nothing', gps('veh_1', 'acc_nobody'), []],
    ['speeding below the threshold does not match', event({ type: 'speeding', speedKmh: 89 }), []],
    ['speeding at the threshold matches', event({ type: 'speeding', speedKmh: 90 }), ['sub_speed_90']],
    ['speeding without a speed does not match', event({ type: 'speeding' }), []],
    ['posted speeding needs limit + X', event({ type: 'posted_speeding', speedKmh: 69, speedLimitKmh: 60 }), []],
    ['posted speeding at limit + X matches', event({ type: 'posted_speeding', speedKmh: 70, speedLimitKmh: 60 }), ['sub_posted_10']],
    ['a listed landmark matches', event({ type: 'landmark_enter', landmarkId: 'lm_depot' }), ['sub_landmark']],
    ['an unlisted landmark does not', event({ type: 'landmark_enter', landmarkId: 'lm_other' }), []],
    ['a second selection of the same subscription matches', event({ type: 'ignition_on' }), ['sub_landmark']],
    ['an event type nobody selected', event({ type: 'dvir' }), []],
    ['a derived speeding event goes to the subscriptions of its rule', event({ type: 'speeding', origin: 'derived', speedKmh: 130, speedLimitKmh: 90, speedThreshold: 90, speedUnits: 'kmh' }), ['sub_speed_90']],
    ['a derived speeding event of another rule does not, however fast', event({ type: 'speeding', origin: 'derived', speedKmh: 130, speedLimitKmh: 120, speedThreshold: 120, speedUnits: 'kmh' }), []],
    ['nor one of a rule in mph', event({ type: 'speeding', origin: 'derived', speedKmh: 145, speedLimitKmh: 144.8, speedThreshold: 90, speedUnits: 'mph' }), []],
    ['a derived posted_speeding event goes to the subscriptions of its X', event({ type: 'posted_speeding', origin: 'derived', speedKmh: 75, speedLimitKmh: 60, speedThreshold: 10, speedUnits: 'kmh' }), ['sub_posted_10']],
    ['a derived posted_speeding event of another X does not', event({ type: 'posted_speeding', origin: 'derived', speedKmh: 90, speedLimitKmh: 60, speedThreshold: 20, speedUnits: 'kmh' }), []],
  ])('%s', (_name, record, expected) => {
    expect(matcher.match(record)).toEqual(expected);
  });

  describe('event parameters: units, idle minutes, landmark lists', () => {
    const params = new SubscriptionMatcher([
      storedSub({ id: 'sub_kmh_100', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 100, units: 'kmh' }, { type: 'idle', minutes: 2 }, { type: 'landmark_enter', landmarkIds: ['lm_a'] }] } }),
      storedSub({ id: 'sub_mph_55', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 55, units: 'mph' }, { type: 'posted_speeding', threshold: 5, units: 'mph' }, { type: 'idle', minutes: 10 }, { type: 'landmark_change' }] } }),
      storedSub({ id: 'sub_idle_any', source: { kind: 'event', eventTypes: [{ type: 'idle' }, { type: 'landmark_leave', landmarkIds: ['lm_a', 'lm_b'] }] } }),
    ]);
    const derivedSpeeding = (threshold: number, units: 'kmh' | 'mph', speedKmh: number) => event({ type: 'speeding', origin: 'derived', speedKmh, speedThreshold: threshold, speedUnits: units });

    it.each<[string, TelemetryRecord, string[]]>([
      ['a derived 100 km/h event reaches the km/h subscription only', derivedSpeeding(100, 'kmh', 120), ['sub_kmh_100']],
      ['a derived 55 mph event reaches the mph subscription only', derivedSpeeding(55, 'mph', 120), ['sub_mph_55']],
      ['a derived 100 mph event reaches nobody (no such rule)', derivedSpeeding(100, 'mph', 170), []],
      ['a derived 55 km/h event reaches nobody (same number, other units)', derivedSpeeding(55, 'kmh', 120), []],
      ['a device speeding event at 89 km/h is over 55 mph (88.5 km/h) only', event({ type: 'speeding', speedKmh: 89 }), ['sub_mph_55']],
      ['a device speeding event at exactly 55 mph counts as 55 mph', event({ type: 'speeding', speedKmh: 55 * 1.609344 }), ['sub_mph_55']],
      ['a device speeding event at 100 km/h reaches both', event({ type: 'speeding', speedKmh: 100 }), ['sub_kmh_100', 'sub_mph_55']],
      ['device posted speeding: 60 km/h limit + 5 mph = 68.05 km/h', event({ type: 'posted_speeding', speedKmh: 68.1, speedLimitKmh: 60 }), ['sub_mph_55']],
      ['device posted speeding just under limit + 5 mph', event({ type: 'posted_speeding', speedKmh: 68, speedLimitKmh: 60 }), []],
      ['device posted speeding without a limit', event({ type: 'posted_speeding', speedKmh: 200 }), []],
      ['idle of 1 min: only the subscription without minutes', event({ type: 'idle', durationMs: 60_000 }), ['sub_idle_any']],
      ['idle of exactly 2 min passes minutes 2', event({ type: 'idle', durationMs: 120_000 }), ['sub_kmh_100', 'sub_idle_any']],
      ['idle of 9:59 does not pass minutes 10', event({ type: 'idle', durationMs: 599_999 }), ['sub_kmh_100', 'sub_idle_any']],
      ['idle of 10 min passes both', event({ type: 'idle', durationMs: 600_000 }), ['sub_kmh_100', 'sub_mph_55', 'sub_idle_any']],
      ['idle without a duration passes only a selection without minutes', event({ type: 'idle' }), ['sub_idle_any']],
      ['entering landmark A: its list and landmark_change', event({ type: 'landmark_enter', landmarkId: 'lm_a' }), ['sub_kmh_100', 'sub_mph_55']],
      ['entering landmark B: landmark_change (all landmarks) only', event({ type: 'landmark_enter', landmarkId: 'lm_b' }), ['sub_mph_55']],
      ['leaving landmark B: landmark_change and the leave list', event({ type: 'landmark_leave', landmarkId: 'lm_b' }), ['sub_mph_55', 'sub_idle_any']],
      ['leaving landmark C: landmark_change only', event({ type: 'landmark_leave', landmarkId: 'lm_c' }), ['sub_mph_55']],
      ['a landmark event without an id: only all-landmark selections', event({ type: 'landmark_leave' }), ['sub_mph_55']],
      ['landmark_change does not select other event types', event({ type: 'trip_complete' }), []],
    ])('%s', (_name, record, expected) => {
      expect(params.match(record)).toEqual(expected);
    });
  });

  it('matches dtc records to dtc subscriptions', () => {
    const dtc: TelemetryRecord = { kind: 'dtc', record: { vehicleId: 'veh_1', accountId: 'acc_alpha', time: 1, code: 'P0300', source: 'OBD_II', status: 'active' } };
    expect(matcher.match(dtc)).toEqual(['sub_dtc']);
  });
});
