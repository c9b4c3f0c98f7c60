import { describe, expect, it } from 'vitest';
import { scheduledFields, scheduledItem } from '../../../services/shared/schedule/scheduled-item.js';
import { requestBudget } from '../../../services/scheduler/request-budget.js';
import type { RequestBudget } from '../../../services/scheduler/request-budget.js';
import { splitSlotRequests } from '../../../services/scheduler/split-slot-requests.js';
import { buildBody } from '../../../services/shared/webhook/webhook-body.js';
import type { VehicleSnapshot } from '../../../services/shared/vehicles/vehicle-snapshot.js';

const t0 = Date.UTC(2026, 2, 10, 16, 0, 0);
const snapshot: VehicleSnapshot = {
  version: 1, vehicleId: 'veh_1', accountId: 'acc_1', mode: 'simulated', time: t0,
  gps: { time: t0 - 5_000, lat: 52.5, lon: 13.4, speedKmh: 100, headingDeg: 90, odometerKm: 16_093.44, ignition: true },
  activeDtcs: [{ code: 'P0301', source: 'OBD_II', time: t0 - 60_000, spn: null, fmi: null, description: null }],
  lastEventTimes: { ignition_on: t0 - 600_000 }, applied: { partition: 0, gps: '1', dtc: '1', events: '1' },
};

describe('a scheduled item', () => {
  it('carries every field in metric units by default', () => {
    expect(scheduledItem(snapshot, { fields: scheduledFields, units: 'metric' })).toEqual({
      vehicleId: 'veh_1', accountId: 'acc_1', mode: 'simulated', time: '2026-03-10T16:00:00.000Z',
      location: { lat: 52.5, lon: 13.4, time: '2026-03-10T15:59:55.000Z' }, speedKmh: 100, headingDeg: 90, odometerKm: 16_093.44, ignition: true,
      activeDtcs: [{ code: 'P0301', source: 'OBD_II', time: '2026-03-10T15:59:00.000Z' }], lastEventTimes: { ignition_on: '2026-03-10T15:50:00.000Z' },
    });
  });

  it.each([
    ['imperial speed and odometer', { fields: ['speed', 'odometer'], units: 'imperial' }, { speedMph: 62.1, odometerMi: 10_000 }],
    ['only the location', { fields: ['location'], units: 'metric' }, { location: { lat: 52.5, lon: 13.4, time: '2026-03-10T15:59:55.000Z' } }],
    ['no field: the vehicle, mode and time only', { fields: [], units: 'metric' }, {}],
  ] as const)('%s', (_name, options, fields) => {
    expect(scheduledItem(snapshot, options)).toEqual({ vehicleId: 'veh_1', accountId: 'acc_1', mode: 'simulated', time: '2026-03-10T16:00:00.000Z', ...fields });
  });

  it('gives null GPS fields to a vehicle with no point yet, in either unit', () => {
    const noGps = { ...snapshot, gps: null };
    expect(scheduledItem(noGps, { fields: ['location', 'speed', 'odometer', 'heading', 'ignition'], units: 'imperial' })).toMatchObject({ location: null, speedMph: null, odometerMi: null, headingDeg: null, ignition: null });
  });
});

const json: RequestBudget = { capBytes: 0, ceilingBytes: 1_048_576, headBytes: 0, sizeOf: (t) => Buffer.byteLength(t, 'utf8') };
const cap = (capBytes: number, b: RequestBudget = json): RequestBudget => ({ ...b, capBytes });

describe('splitting a slot into requests', () => {
  const items = ['{"a":1}', '{"b":22}', '{"c":333}', '{"d":"é"}'];
  it.each<[string, number, number, string[][]]>([
    ['all in one', 500, 1_000, [items]],
    ['by maxItems, in order', 2, 1_000, [items.slice(0, 2), items.slice(2)]],
    // [{"a":1},{"b":22}] is 18 bytes: the cap is inclusive.
    ['by bytes, the array brackets and commas counted', 500, 18, [items.slice(0, 2), items.slice(2, 3), items.slice(3)]],
    ['UTF-8 bytes, not characters (é is two)', 500, 12, [[items[0] as string], [items[1] as string], [items[2] as string], [items[3] as string]]],
    ['nothing to send', 500, 1_000, []],
  ])('%s', (name, maxItems, maxBytes, expected) => {
    const input = name === 'nothing to send' ? [] : items;
    const split = splitSlotRequests(input, maxItems, cap(maxBytes));
    expect(split).toEqual({ parts: expected, leftOut: [] });
    for (const p of split.parts) expect(Buffer.byteLength(`[${p.join(',')}]`)).toBeLessThanOrEqual(maxBytes);
  });

  it('counts the head: 10 bytes of head leave 8 for the data', () => {
    expect(splitSlotRequests(items.slice(0, 2), 500, { ...cap(18), headBytes: 10 }).parts).toEqual([[items[0]], [items[1]]]);
  });

  it('sends an item over the cap alone, in its place; leaves out one over the ceiling, naming it', () => {
    expect(splitSlotRequests(items, 500, cap(11))).toEqual({ parts: [[items[0]], [items[1]], [items[2]], [items[3]]], leftOut: [] });
    const big = `{"big":"${'x'.repeat(100)}"}`;
    expect(splitSlotRequests([items[0] as string, big, items[1] as string], 500, cap(20))).toEqual({ parts: [[items[0]], [big], [items[1]]], leftOut: [] });
    expect(splitSlotRequests([items[0] as string, big, items[1] as string], 500, { ...cap(20), ceilingBytes: 50 })).toEqual({ parts: [[items[0], items[1]]], leftOut: [{ index: 1, bytes: 2 + big.length }] });
  });
});

describe('the request budget: bodies as the dispatcher builds them stay within maxRequestBytes', () => {
  const base = { id: 'sub_0123456789abcdef', accountId: 'acc_alpha' };
  const vehicles = Array.from({ length: 400 }, (_, n) => JSON.stringify({ vehicleId: `veh_${n}`, accountId: 'acc_alpha', mode: 'live', time: '2026-03-10T16:00:00.000Z', note: 'é"&=+ ,[]' }));
  it.each(['application/json', 'application/x-www-form-urlencoded'] as const)('%s', (contentType) => {
    const sub = { ...base, contentType };
    const budget = requestBudget(sub, 4_096);
    const { parts, leftOut } = splitSlotRequests(vehicles, 500, budget);
    expect(leftOut).toEqual([]);
    expect(parts.flat()).toEqual(vehicles);
    const sizes = parts.map((p) => Buffer.byteLength(buildBody(sub, 'scheduled', `[${p.join(',')}]`, {
      webhookId: 'msg_abcdefghijklmnopqrstuvwx', mode: 'simulated', createdAt: new Date(), enqueueTime: new Date(), requestTime: new Date(), retryCount: 123_456, queueDepth: 9_999_999,
    })));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(4_096);
    // Full parts: no part but the last could have taken the next item.
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(4_096 - budget.sizeOf(`,${vehicles[0]}`) - 20);
  });

  it('form bodies take more parts than JSON for the same items (percent-encoding)', () => {
    const n = (contentType: 'application/json' | 'application/x-www-form-urlencoded'): number => splitSlotRequests(vehicles, 500, requestBudget({ ...base, contentType }, 4_096)).parts.length;
    expect(n('application/x-www-form-urlencoded')).toBeGreaterThan(n('application/json'));
  });

  it('never lets the ceiling fall below 1 MiB', () => {
    expect(requestBudget({ ...base, contentType: 'application/json' }, 1_024).ceilingBytes).toBe(1_048_576);
  });
});
