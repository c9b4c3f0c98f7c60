import { describe, expect, it } from 'vitest';
import { scheduledFields, scheduledItem } from '../../../services/shared/schedule/scheduled-item.js';
import { splitSlotRequests } from '../../../services/scheduler/split-slot-requests.js';
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
    const split = splitSlotRequests(input, maxItems, maxBytes);
    expect(split).toEqual({ kind: 'parts', parts: expected });
    if (split.kind === 'parts') for (const p of split.parts) expect(Buffer.byteLength(`[${p.join(',')}]`)).toBeLessThanOrEqual(maxBytes);
  });

  it('refuses an item larger than the cap alone, naming it', () => {
    expect(splitSlotRequests(items, 500, 11)).toEqual({ kind: 'item_too_large', index: 3, bytes: 10 });
    expect(splitSlotRequests(['{"big":"' + 'x'.repeat(100) + '"}'], 500, 50)).toMatchObject({ kind: 'item_too_large', index: 0 });
  });
});
