import type { VehicleSnapshot } from '../shared/vehicles/vehicle-snapshot.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A vehicle's latest state as `GET /v1/vehicles/:vehicleId/state` answers it: times in
 * ISO 8601; the GPS fields are null until the vehicle's first point; the stage's
 * bookkeeping (offsets applied) is not shown.
 */
export function toVehicleStateView(s: VehicleSnapshot): Record<string, unknown> {
  const gps = s.gps;
  return {
    vehicleId: s.vehicleId,
    accountId: s.accountId,
    mode: s.mode,
    time: iso(s.time),
    location: gps === null ? null : { lat: gps.lat, lon: gps.lon, time: iso(gps.time) },
    speedKmh: gps?.speedKmh ?? null,
    headingDeg: gps?.headingDeg ?? null,
    odometerKm: gps?.odometerKm ?? null,
    ignition: gps?.ignition ?? null,
    activeDtcs: s.activeDtcs.map((d) => ({
      code: d.code, source: d.source, time: iso(d.time),
      ...(d.spn === null ? {} : { spn: d.spn }), ...(d.fmi === null ? {} : { fmi: d.fmi }), ...(d.description === null ? {} : { description: d.description }),
    })),
    lastEventTimes: Object.fromEntries(Object.entries(s.lastEventTimes).map(([type, ms]) => [type, iso(ms)])),
  };
}
