import type { StoredSubscription } from '../../shared/subscriptions/subscription-types.js';
import { speedRuleKey } from './derive-params.js';
import type { AccountRules, SpeedRule } from './derive-params.js';

/**
 * The speed rules each account's subscriptions ask for (pure): every distinct speeding
 * threshold and posted-speeding margin (with its units) of its event subscriptions that receive live data
 * (active, or failing and collecting a backlog). Each rule then has its own episodes and
 * events, which the dispatcher routes to the subscriptions of that rule alone.
 */
export function accountRules(subscriptions: Iterable<StoredSubscription>): Map<string, AccountRules> {
  const found = new Map<string, { speeding: Map<string, SpeedRule>; postedSpeeding: Map<string, SpeedRule> }>();
  for (const sub of subscriptions) {
    if ((sub.state !== 'active' && sub.state !== 'failing') || sub.source.kind !== 'event') continue;
    let rules = found.get(sub.accountId);
    if (rules === undefined) {
      rules = { speeding: new Map(), postedSpeeding: new Map() };
      found.set(sub.accountId, rules);
    }
    for (const sel of sub.source.eventTypes) {
      if (sel.type === 'speeding') add(rules.speeding, { threshold: sel.threshold, units: sel.units });
      else if (sel.type === 'posted_speeding') add(rules.postedSpeeding, { threshold: sel.threshold, units: sel.units });
    }
  }
  const out = new Map<string, AccountRules>();
  for (const [accountId, r] of found) out.set(accountId, { speeding: sorted(r.speeding), postedSpeeding: sorted(r.postedSpeeding) });
  return out;
}

function add(rules: Map<string, SpeedRule>, rule: SpeedRule): void {
  rules.set(speedRuleKey(rule), rule);
}

function sorted(rules: Map<string, SpeedRule>): SpeedRule[] {
  return [...rules.values()].sort((a, b) => a.units.localeCompare(b.units) || a.threshold - b.threshold);
}
