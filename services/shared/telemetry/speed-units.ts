import type { SpeedUnits } from '../../../schemas/telemetry-records.js';

export const kmhPerMph = 1.609344;

/** A km/h speed in `units`. */
export function speedIn(units: SpeedUnits, kmh: number): number {
  return units === 'kmh' ? kmh : kmh / kmhPerMph;
}

/** A speed in `units` as km/h. */
export function speedToKmh(units: SpeedUnits, value: number): number {
  return units === 'kmh' ? value : value * kmhPerMph;
}
