/** Small-distance geodesy on a sphere; good enough for simulated vehicles. */
const earthRadiusKm = 6_371;
const rad = Math.PI / 180;

export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/** The point `distanceKm` away from `from` along `headingDeg` (clockwise from north). */
export function moveBy(from: LatLon, headingDeg: number, distanceKm: number): LatLon {
  const d = distanceKm / earthRadiusKm;
  const lat1 = from.lat * rad;
  const h = headingDeg * rad;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(h));
  const lon2 = from.lon * rad + Math.atan2(Math.sin(h) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: lat2 / rad, lon: normaliseLon(lon2 / rad) };
}

export function distanceKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(s)));
}

export function bearingDeg(from: LatLon, to: LatLon): number {
  const y = Math.sin((to.lon - from.lon) * rad) * Math.cos(to.lat * rad);
  const x = Math.cos(from.lat * rad) * Math.sin(to.lat * rad) - Math.sin(from.lat * rad) * Math.cos(to.lat * rad) * Math.cos((to.lon - from.lon) * rad);
  return normaliseHeading(Math.atan2(y, x) / rad);
}

/** Into [0, 360). */
export function normaliseHeading(deg: number): number {
  const h = deg % 360;
  const positive = h < 0 ? h + 360 : h;
  return positive >= 360 ? 0 : positive;
}

function normaliseLon(deg: number): number {
  return ((((deg + 180) % 360) + 360) % 360) - 180;
}
