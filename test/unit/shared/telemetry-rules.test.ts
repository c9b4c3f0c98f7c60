import { describe, expect, it } from 'vitest';
import type { GpsPoint } from '../../../schemas/telemetry-records.js';
import { plausibleTimeWindow, telemetryValidators, timeWindowAround } from '../../../services/shared/telemetry/telemetry-rules.js';

const nowMs = Date.UTC(2026, 11, 1, 12);
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const gps: GpsPoint = { vehicleId: 'veh_1', accountId: 'acc_1', time: nowMs, lat: 52.5, lon: 13.4, speedKmh: 40, headingDeg: 90, odometerKm: 10, ignition: true, driverId: 'drv_1', seq: 1 };
const aroundNow = telemetryValidators(timeWindowAround(nowMs, 30 * dayMs, hourMs));
const plausible = telemetryValidators(plausibleTimeWindow);

describe('shared telemetry rules', () => {
  it.each<[string, Partial<Record<keyof GpsPoint, unknown>>, RegExp]>([
    ['a time outside a JS Date', { time: 9e15 }, /^time must be >= \d+ and < \d+ \(epoch milliseconds at most 30 day\(s\) before and 1 hour\(s\) after now\), got 9000000000000000$/],
    ['a time 1 h and 1 ms ahead', { time: nowMs + hourMs + 1 }, /^time must be/],
    ['a time 30 days and 1 ms old', { time: nowMs - 30 * dayMs - 1 }, /^time must be/],
    ['a NUL in driverId', { driverId: 'a\u0000b' }, /^driverId must not be empty or contain control characters, got "a\\u0000b"$/],
    ['a C1 control in vehicleId', { vehicleId: 'veh\u0085' }, /^vehicleId must not be empty or contain control characters/],
    ['a newline in accountId', { accountId: 'acc\n' }, /^accountId must not be empty or contain control characters, got "acc\\n"$/],
    ['lat 999', { lat: 999 }, /^lat must be >= -90 and <= 90 \(degrees\), got 999$/],
    ['speed NaN', { speedKmh: Number.NaN }, /^speedKmh must be a finite number \(km\/h\), got NaN$/],
  ])('refuses %s around now, naming the field and value', (_, patch, message) => {
    const issues = aroundNow.gps({ ...gps, ...patch }, '');
    expect(issues.map((i) => `${i.field} ${i.message}`)).toEqual([expect.stringMatching(message)]);
  });

  it('accepts the edges of the window and ids with non-ASCII letters', () => {
    expect(aroundNow.gps({ ...gps, time: nowMs + hourMs }, '')).toEqual([]);
    expect(aroundNow.gps({ ...gps, time: nowMs - 30 * dayMs }, '')).toEqual([]);
    expect(aroundNow.gps({ ...gps, driverId: 'Jürgen Ø 司机' }, '')).toEqual([]);
  });

  it('the producer window (2000–2100) accepts a backfill from years ago but not 9e15', () => {
    expect(plausible.gps({ ...gps, time: Date.UTC(2019, 0, 1) }, '')).toEqual([]);
    expect(aroundNow.gps({ ...gps, time: Date.UTC(2019, 0, 1) }, '')).not.toEqual([]);
    expect(plausible.gps({ ...gps, time: 9e15 }, 'gps[0]')[0]?.field).toBe('gps[0].time');
  });

  it('checks event trip start times against the same window', () => {
    const trip = { vehicleId: 'veh_1', accountId: 'acc_1', time: nowMs, type: 'trip_complete', tripStartTime: 9e15, durationMs: 1, tripDistanceKm: 1 };
    expect(aroundNow.event(trip, '').map((i) => i.field)).toEqual(['tripStartTime']);
  });
});
