import { scheduledFields } from '../subscriptions/subscription-types.js';
import type { ScheduledField, ScheduledUnits } from '../subscriptions/subscription-types.js';
import type { VehicleSnapshot } from '../vehicles/vehicle-snapshot.js';

export { scheduledFields };

export interface ScheduledItemOptions {
  readonly fields: readonly ScheduledField[];
  readonly units: ScheduledUnits;
}

const kmPerMile = 1.609_344;
const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One vehicle's item of a scheduled request (pure): the vehicle, its account, its mode and the time of
 * its state, then the chosen fields in the chosen units — `speedKmh`/`odometerKm` (metric)
 * or `speedMph`/`odometerMi` (imperial), rounded to 0.1 and 0.001. A GPS field of a vehicle
 * with no point yet is null. Times are ISO 8601 UTC, as in every body.
 */
export function scheduledItem(s: VehicleSnapshot, o: ScheduledItemOptions): Record<string, unknown> {
  const item: Record<string, unknown> = { vehicleId: s.vehicleId, accountId: s.accountId, mode: s.mode, time: iso(s.time) };
  const gps = s.gps;
  const imperial = o.units === 'imperial';
  for (const field of scheduledFields) {
    if (!o.fields.includes(field)) continue;
    switch (field) {
      case 'location':
        item.location = gps === null ? null : { lat: gps.lat, lon: gps.lon, time: iso(gps.time) };
        break;
      case 'speed':
        if (imperial) item.speedMph = gps === null ? null : round(gps.speedKmh / kmPerMile, 1);
        else item.speedKmh = gps?.speedKmh ?? null;
        break;
      case 'heading':
        item.headingDeg = gps?.headingDeg ?? null;
        break;
      case 'odometer':
        if (imperial) item.odometerMi = gps === null ? null : round(gps.odometerKm / kmPerMile, 3);
        else item.odometerKm = gps?.odometerKm ?? null;
        break;
      case 'ignition':
        item.ignition = gps?.ignition ?? null;
        break;
      case 'activeDtcs':
        item.activeDtcs = s.activeDtcs.map((d) => ({ code: d.code, source: d.source, time: iso(d.time) }));
        break;
      case 'lastEventTimes':
        item.lastEventTimes = Object.fromEntries(Object.entries(s.lastEventTimes).map(([type, ms]) => [type, iso(ms)]));
        break;
    }
  }
  return item;
}
