import { describe, expect, it } from 'vitest';
import { accountRules } from '../../../services/deriver/rules/account-rules.js';
import { storedSub } from '../dispatcher/dispatcher-fixtures.js';

describe('accountRules', () => {
  it('collects each account\'s distinct speed rules from its live event subscriptions', () => {
    const rules = accountRules([
      storedSub({ id: 'sub_a', source: { kind: 'event', eventTypes: [{ type: 'speeding', thresholdKph: 120 }, { type: 'posted_speeding', overLimitKph: 10 }] } }),
      storedSub({ id: 'sub_b', source: { kind: 'event', eventTypes: [{ type: 'speeding', thresholdKph: 90 }, { type: 'idle' }] } }),
      storedSub({ id: 'sub_c', source: { kind: 'event', eventTypes: [{ type: 'speeding', thresholdKph: 120 }] }, state: 'failing' }),
      storedSub({ id: 'sub_paused', source: { kind: 'event', eventTypes: [{ type: 'speeding', thresholdKph: 50 }] }, state: 'paused' }),
      storedSub({ id: 'sub_pending', source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', overLimitKph: 5 }] }, state: 'pending_verification' }),
      storedSub({ id: 'sub_gps' }),
      storedSub({ id: 'sub_beta', accountId: 'acc_beta', source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', overLimitKph: 0 }] } }),
    ]);
    expect(Object.fromEntries(rules)).toEqual({
      acc_alpha: { speeding: [{ threshold: 90, units: 'kmh' }, { threshold: 120, units: 'kmh' }], postedSpeeding: [{ threshold: 10, units: 'kmh' }] },
      acc_beta: { speeding: [], postedSpeeding: [{ threshold: 0, units: 'kmh' }] },
    });
  });

  it('no subscriptions, no rules', () => {
    expect(accountRules([]).size).toBe(0);
  });
});
