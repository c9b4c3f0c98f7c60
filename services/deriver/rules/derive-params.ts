import type { SpeedUnits } from '../../../schemas/telemetry-records.js';
import type { LandmarkLookup } from '../../shared/landmarks/landmark-types.js';

export type { LandmarkHit, LandmarkLookup } from '../../shared/landmarks/landmark-types.js';

/**
 * What the event rules depend on besides the vehicle's own points: the speed rules its
 * account's subscriptions ask for, the account's landmarks, and the timings. Pure data;
 * the deriver compiles it from the subscription catalogue and the landmark registry.
 */
export interface SpeedRule {
  /** speeding: the speed X; posted_speeding: X over the posted limit. In `units`. */
  readonly threshold: number;
  readonly units: SpeedUnits;
}

export interface AccountRules {
  readonly speeding: readonly SpeedRule[];
  readonly postedSpeeding: readonly SpeedRule[];
}

export interface DeriveTimings {
  /** At or above this speed a vehicle is moving; below it, with ignition on, it idles (km/h). */
  readonly movingKmh: number;
  /** Idle periods shorter than this produce no event; subscriptions filter longer ones by their minutes. */
  readonly idleMinMs: number;
  /** A trip that moved ends after this long stationary, even with the ignition on. */
  readonly tripStopMs: number;
  /** A speeding episode ends once the speed has stayed below the threshold this long. */
  readonly speedingClearMs: number;
}

export const defaultTimings: DeriveTimings = {
  movingKmh: 3,
  idleMinMs: 60_000,
  tripStopMs: 5 * 60_000,
  speedingClearMs: 30_000,
};

export interface DeriveParams {
  readonly rules: AccountRules;
  readonly landmarks: LandmarkLookup;
  readonly timings: DeriveTimings;
}

export const noRules: AccountRules = { speeding: [], postedSpeeding: [] };

export const noLandmarks: LandmarkLookup = { containing: () => [], exists: () => false };

export { kmhPerMph, speedIn, speedToKmh } from '../../shared/telemetry/speed-units.js';

/** Names a rule in the state and in event ids, e.g. `60mph`. */
export function speedRuleKey(rule: SpeedRule): string {
  return `${rule.threshold}${rule.units}`;
}
