import type { GpsPoint } from '../../../schemas/telemetry-records.js';
import { speedIn, speedRuleKey } from './derive-params.js';
import type { SpeedRule } from './derive-params.js';
import { stepEpisode } from './speed-episode.js';
import type { SpeedEpisode } from './speed-episode.js';

export interface SpeedRulesStep {
  /** The open episodes after this point, by rule key; rules no longer asked for are gone. */
  readonly open: Readonly<Record<string, SpeedEpisode>>;
  /** The rules whose episode starts at this point. */
  readonly started: readonly SpeedRule[];
}

// Speeds converted to mph carry float noise: 96.56064 km/h must count as 60 mph.
const epsilon = 1e-9;

/** speed ≥ X, compared in the rule's units. */
export function overThreshold(rule: SpeedRule, point: GpsPoint): boolean {
  return speedIn(rule.units, point.speedKmh) >= rule.threshold - epsilon;
}

/** speed ≥ posted limit + X, in the rule's units; never over where the limit is unknown. */
export function overPostedLimit(rule: SpeedRule, point: GpsPoint): boolean {
  const posted = point.postedSpeedLimitKmh;
  if (posted === null || posted === undefined) return false;
  return speedIn(rule.units, point.speedKmh) >= speedIn(rule.units, posted) + rule.threshold - epsilon;
}

/** Advances every rule's episode by one point. */
export function stepSpeedRules(
  open: Readonly<Record<string, SpeedEpisode>>,
  rules: readonly SpeedRule[],
  point: GpsPoint,
  clearMs: number,
  isOver: (rule: SpeedRule, point: GpsPoint) => boolean,
): SpeedRulesStep {
  const next: Record<string, SpeedEpisode> = {};
  const started: SpeedRule[] = [];
  for (const rule of rules) {
    const key = speedRuleKey(rule);
    const step = stepEpisode(open[key], isOver(rule, point), point.time, clearMs);
    switch (step.kind) {
      case 'started':
        started.push(rule);
        next[key] = step.episode;
        break;
      case 'continues':
        next[key] = step.episode;
        break;
      case 'ended':
      case 'none':
        break;
    }
  }
  return { open: next, started };
}
