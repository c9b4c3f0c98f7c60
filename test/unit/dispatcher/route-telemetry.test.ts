import { describe, expect, it } from 'vitest';
import type { GpsPoint } from '../../../schemas/telemetry-records.js';
import { decodeDeliveryItem, encodeDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { routeRecord } from '../../../services/dispatcher/match/route-telemetry.js';
import type { RouteInput } from '../../../services/dispatcher/match/route-telemetry.js';
import { SubscriptionMatcher } from '../../../services/dispatcher/match/subscription-matcher.js';
import { telemetryValidators, timeWindowAround } from '../../../services/shared/telemetry/telemetry-rules.js';
import { storedSub } from './dispatcher-fixtures.js';

const nowMs = Date.UTC(2026, 11, 1, 12);
const origin = { topic: 'telemetry.gps', partition: 1, offset: '42' };
const point: GpsPoint = { vehicleId: 'veh_1', accountId: 'acc_alpha', time: nowMs - 5_000, lat: 52.5, lon: 13.4, speedKmh: 40, headingDeg: 90, odometerKm: 10, ignition: true, postedSpeedLimitKmh: null, driverId: null, seq: 7 };
const input = (over: Partial<RouteInput> = {}): RouteInput => ({
  kind: 'gps', decoded: { kind: 'decoded', value: point }, origin,
  matcher: new SubscriptionMatcher([storedSub({ id: 'sub_a' }), storedSub({ id: 'sub_b' })]),
  validators: telemetryValidators(timeWindowAround(nowMs, 30 * 86_400_000, 3_600_000)), itemBudgetBytes: 100_000, ...over,
});

describe('routeRecord', () => {
  it('makes one item per matching subscription, keyed by subscription, with the telemetry time inside and no Kafka timestamp', () => {
    const routed = routeRecord(input());
    if (routed.kind !== 'items') throw new Error(routed.reason);
    expect(routed.messages.map((m) => m.key)).toEqual(['sub_a', 'sub_b']);
    expect(routed.messages.every((m) => !('timestamp' in m))).toBe(true);
    const first = routed.messages[0];
    const decoded = decodeDeliveryItem(first === undefined ? null : Buffer.from(first.value, 'utf8'));
    if (decoded.kind !== 'item') throw new Error(decoded.reason);
    expect(decoded.item).toMatchObject({ subscriptionId: 'sub_a', recordTimeMs: nowMs - 5_000, seq: 7, origin });
    expect(JSON.parse(decoded.item.dataJson)).toEqual({ vehicleId: 'veh_1', accountId: 'acc_alpha', time: new Date(nowMs - 5_000).toISOString(), lat: 52.5, lon: 13.4, speedKmh: 40, headingDeg: 90, odometerKm: 10, ignition: true, seq: 7 });
  });

  it('writes each item byte for byte as encodeDeliveryItem does (the head after the subscription id is built once per record)', () => {
    for (const [ids, patch] of [[['sub_a', 'sub_b'], {}], [['sub_a'], { simulated: true }], [['sub_b'], { vehicleId: 'veh_"q"\\1', seq: null }], [['sub_a'], { vehicleId: 'veh_ü😀' }]] as const) {
      const subs = ids.map((id) => storedSub({ id, vehicleFilter: null }));
      const routed = routeRecord(input({ decoded: { kind: 'decoded', value: { ...point, ...patch } }, matcher: new SubscriptionMatcher(subs) }));
      if (routed.kind !== 'items') throw new Error(routed.reason);
      expect(routed.messages).toHaveLength(ids.length);
      for (const m of routed.messages) {
        // The producer writes the item's text as UTF-8: those are the record's bytes.
        const bytes = Buffer.from(m.value, 'utf8');
        const decoded = decodeDeliveryItem(bytes);
        if (decoded.kind !== 'item') throw new Error(decoded.reason);
        const { dataJson, ...head } = decoded.item;
        expect(bytes.equals(encodeDeliveryItem(head, dataJson))).toBe(true);
        expect(head).toMatchObject({ subscriptionId: m.key, vehicleId: patch.vehicleId ?? point.vehicleId, seq: 'seq' in patch ? null : 7 });
      }
    }
  });

  it('routes a valid record no subscription wants to nothing', () => {
    expect(routeRecord(input({ matcher: new SubscriptionMatcher([]) }))).toEqual({ kind: 'items', messages: [] });
  });

  it.each<[string, Partial<GpsPoint>, RegExp]>([
    ['9e15 (outside a JS Date)', { time: 9e15 }, /^invalid gps record: time must be .*got 9000000000000000$/],
    ['2 h ahead', { time: nowMs + 7_200_000 }, /time must be .*after now\), got \d+/],
    ['lat 999', { lat: 999 }, /lat must be >= -90 and <= 90 \(degrees\), got 999/],
    ['NaN speed', { speedKmh: Number.NaN }, /speedKmh must be a finite number \(km\/h\), got NaN/],
    ['a control character in driverId', { driverId: 'drv\u0007' }, /driverId must not be empty or contain control characters, got "drv\\u0007"/],
  ])('dead-letters %s as invalid, naming field and value, even with matching subscriptions', (_, patch, reason) => {
    const routed = routeRecord(input({ decoded: { kind: 'decoded', value: { ...point, ...patch } } }));
    expect(routed).toEqual({ kind: 'dead', cause: 'invalid', reason: expect.stringMatching(reason) });
  });

  it('dead-letters what did not decode, with the decoder reason', () => {
    expect(routeRecord(input({ decoded: { kind: 'poison', reason: 'magic byte 1, expected 0' } }))).toEqual({ kind: 'dead', cause: 'undecodable', reason: 'magic byte 1, expected 0' });
  });

  it('dead-letters a record whose item would exceed what webhook.deliveries accepts', () => {
    const routed = routeRecord(input({ itemBudgetBytes: 200 }));
    expect(routed).toEqual({ kind: 'dead', cause: 'too_large', reason: expect.stringMatching(/delivery item of \d+ bytes exceeds the 200 bytes webhook.deliveries accepts/) });
  });
});
