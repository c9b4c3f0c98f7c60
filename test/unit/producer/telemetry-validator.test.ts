import { describe, expect, it } from 'vitest';
import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import { validateBatch, validateDtc, validateGpsPoint, validateVehicleEvent } from '../../../services/producer/telemetry-validator.js';

const time = Date.UTC(2025, 5, 1, 12);
const gps: GpsPoint = {
  vehicleId: 'veh_1', accountId: 'acc_1', time, lat: 52.52, lon: 13.4, speedKmh: 48.5, headingDeg: 270,
  odometerKm: 12_345.6, ignition: true, postedSpeedLimitKmh: 50, driverId: 'drv_1', seq: 7,
};
const dtc: Dtc = { vehicleId: 'veh_1', accountId: 'acc_1', time, code: '110-0', source: 'J1939', spn: 110, fmi: 0, status: 'active' };
const event: VehicleEvent = { vehicleId: 'veh_1', accountId: 'acc_1', time, type: 'speeding', speedKmh: 131, speedLimitKmh: 120 };

type Row = [name: string, patch: Record<string, unknown>, field: string, message: RegExp];

const gpsRows: Row[] = [
  ['missing vehicleId', { vehicleId: undefined }, 'gps[0].vehicleId', /is required, got nothing/],
  ['empty accountId', { accountId: '  ' }, 'gps[0].accountId', /must not be empty/],
  ['numeric vehicleId', { vehicleId: 42 }, 'gps[0].vehicleId', /must be a string, got 42/],
  ['time in seconds', { time: 1_750_000_000 }, 'gps[0].time', /epoch milliseconds.*got 1750000000/],
  ['fractional time', { time: time + 0.5 }, 'gps[0].time', /must be an integer/],
  ['time as a string', { time: '2025-06-01' }, 'gps[0].time', /must be an integer.*"2025-06-01"/],
  ['NaN lat', { lat: Number.NaN }, 'gps[0].lat', /finite number.*got NaN/],
  ['Infinity lon', { lon: Number.POSITIVE_INFINITY }, 'gps[0].lon', /finite number.*got Infinity/],
  ['lat above 90', { lat: 90.5 }, 'gps[0].lat', /<= 90.*got 90.5/],
  ['lat below -90', { lat: -91 }, 'gps[0].lat', />= -90/],
  ['lon above 180', { lon: 180.01 }, 'gps[0].lon', /<= 180/],
  ['lon below -180', { lon: -200 }, 'gps[0].lon', />= -180.*got -200/],
  ['lat as a string', { lat: '52.5' }, 'gps[0].lat', /must be a number.*"52.5"/],
  ['negative speed', { speedKmh: -1 }, 'gps[0].speedKmh', />= 0.*got -1/],
  ['heading 360', { headingDeg: 360 }, 'gps[0].headingDeg', /< 360.*got 360/],
  ['negative heading', { headingDeg: -0.1 }, 'gps[0].headingDeg', />= 0/],
  ['negative odometer', { odometerKm: -5 }, 'gps[0].odometerKm', />= 0/],
  ['ignition as a string', { ignition: 'true' }, 'gps[0].ignition', /true or false.*"true"/],
  ['null ignition', { ignition: null }, 'gps[0].ignition', /is required, got null/],
  ['NaN posted limit', { postedSpeedLimitKmh: Number.NaN }, 'gps[0].postedSpeedLimitKmh', /finite/],
  ['empty driverId', { driverId: '' }, 'gps[0].driverId', /must not be empty/],
  ['negative seq', { seq: -1 }, 'gps[0].seq', />= 0/],
  ['misspelt optional field', { postedSpeedLimit: 50 }, 'gps[0].postedSpeedLimit', /unknown field/],
];

const dtcRows: Row[] = [
  ['missing code', { code: undefined }, 'dtc[0].code', /is required/],
  ['unknown source', { source: 'CAN' }, 'dtc[0].source', /one of OBD_II, J1939.*"CAN"/],
  ['J1939 without SPN', { spn: null }, 'dtc[0].spn', /is required/],
  ['J1939 FMI out of range', { fmi: 32 }, 'dtc[0].fmi', /<= 31/],
  ['unknown status', { status: 'open' }, 'dtc[0].status', /one of active, pending, cleared/],
  ['description not text', { description: 5 }, 'dtc[0].description', /must be a string/],
];

const eventRows: Row[] = [
  ['unknown event type', { type: 'teleported' }, 'events[0].type', /must be one of ignition_on.*"teleported"/],
  ['missing type', { type: undefined }, 'events[0].type', /is required/],
  ['speeding without speed', { speedKmh: undefined }, 'events[0].speedKmh', /required for a speeding event/],
  ['NaN temperature', { type: 'temperature', temperatureCelsius: Number.NaN }, 'events[0].temperatureCelsius', /finite/],
  ['temperature without a value', { type: 'temperature' }, 'events[0].temperatureCelsius', /required for a temperature event/],
  ['lat without lon', { lat: 10 }, 'events[0].lon', /together/],
  ['landmark without id', { type: 'landmark_enter' }, 'events[0].landmarkId', /required for a landmark_enter event/],
  ['unknown dvir status', { type: 'dvir', dvirStatus: 'ok' }, 'events[0].dvirStatus', /one of satisfactory/],
  ['dvir defects not strings', { type: 'dvir', dvirStatus: 'defects_found', dvirDefects: [1] }, 'events[0].dvirDefects', /array of strings/],
  ['unknown origin', { origin: 'cloud' }, 'events[0].origin', /one of device, derived/],
  ['speed threshold without units', { speedThreshold: 60 }, 'events[0].speedUnits', /together/],
  ['unknown speed units', { speedThreshold: 60, speedUnits: 'knots' }, 'events[0].speedUnits', /one of kmh, mph/],
  ['trip start lat without lon', { type: 'trip_complete', tripStartLat: 52 }, 'events[0].tripStartLon', /together/],
  ['trip start lon out of range', { tripStartLat: 52, tripStartLon: 181 }, 'events[0].tripStartLon', /<= 180/],
  ['negative max speed', { maxSpeedKmh: -1 }, 'events[0].maxSpeedKmh', />= 0/],
];

const cases = [
  { name: 'GPS point', valid: gps, validate: validateGpsPoint, path: 'gps', rows: gpsRows },
  { name: 'DTC', valid: dtc, validate: validateDtc, path: 'dtc', rows: dtcRows },
  { name: 'vehicle event', valid: event, validate: validateVehicleEvent, path: 'events', rows: eventRows },
];

describe.each(cases)('$name validation', ({ valid, validate, path, rows }) => {
  it('accepts a valid record', () => {
    expect(validate(valid, `${path}[0]`)).toEqual([]);
  });

  it.each(rows)('rejects %s, naming the field and the value', (_name, patch, field, message) => {
    const issues = validate({ ...valid, ...patch }, `${path}[0]`);
    const issue = issues.find((i) => i.field === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('rejects a non-object record', () => {
    expect(validate('veh_1', `${path}[0]`)).toEqual([{ field: `${path}[0]`, message: 'must be an object, got "veh_1"' }]);
  });
});

describe('batch validation', () => {
  it('reports every bad record with its index', () => {
    const issues = validateBatch([gps, { ...gps, lat: 100 }, gps, { ...gps, lon: Number.NaN }], validateGpsPoint, 'gps');
    expect(issues.map((i) => i.field)).toEqual(['gps[1].lat', 'gps[3].lon']);
  });

  it('accepts every event type with its required details', () => {
    const details: Record<string, Partial<VehicleEvent>> = {
      trip_complete: { tripStartTime: time - 60_000, durationMs: 60_000, tripDistanceKm: 1.2, tripStartLat: 52, tripStartLon: 13, maxSpeedKmh: 88 },
      idle: { durationMs: 300_000 },
      speeding: { speedKmh: 90, speedLimitKmh: 80, speedThreshold: 50, speedUnits: 'mph' },
      posted_speeding: { speedKmh: 90, speedLimitKmh: 50 },
      landmark_enter: { landmarkId: 'lmk_1' },
      landmark_leave: { landmarkId: 'lmk_1' },
      temperature: { temperatureCelsius: -18.5 },
      dvir: { dvirStatus: 'satisfactory' },
      driver_assignment: { driverId: 'drv_2' },
    };
    for (const type of ['ignition_on', 'ignition_off', 'heartbeat', ...Object.keys(details)]) {
      const record = { vehicleId: 'veh_1', accountId: 'acc_1', time, type, ...details[type] };
      expect(validateVehicleEvent(record, 'events[0]'), type).toEqual([]);
    }
  });
});
