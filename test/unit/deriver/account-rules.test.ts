import { describe, expect, it } from 'vitest';
import { accountRules } from '../../../services/deriver/rules/account-rules.js';
import { storedSub } from '../dispatcher/dispatcher-fixtures.js';

describe('accountRules', () => {
  it('collects each account\'s distinct speed rules from its live event subscriptions', () => {
    const rules = accountRules([
      storedSub({ id: 'sub_a', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 120, units: 'kmh' }, { type: 'posted_speeding', threshold: 10, units: 'kmh' }] } }),
      storedSub({ id: 'sub_b', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 90, units: 'kmh' }, { type: 'idle' }] } }),
      storedSub({ id: 'sub_mph', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 55, units: 'mph' }, { type: 'posted_speeding', threshold: 10, units: 'mph' }] } }),
      storedSub({ id: 'sub_c', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 120, units: 'kmh' }] }, state: 'failing' }),
      storedSub({ id: 'sub_paused', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 50, units: 'kmh' }] }, state: 'paused' }),
      storedSub({ id: 'sub_pending', source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', threshold: 5, units: 'kmh' }] }, state: 'pending_verification' }),
      storedSub({ id: 'sub_gps' }),
      storedSub({ id: 'sub_beta', accountId: 'acc_beta', source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', threshold: 0, units: 'kmh' }] } }),
    ]);
    expect(Object.fromEntries(rules)).toEqual({
      acc_alpha: {
        speeding: [{ threshold: 90, units: 'kmh' }, { threshold: 120, units: 'kmh' }, { threshold: 55, units: 'mph' }],
        postedSpeeding: [{ threshold: 10, units: 'kmh' }, { threshold: 10, units: 'mph' }],
      },
      acc_beta: { speeding: [], postedSpeeding: [{ threshold: 0, units: 'kmh' }] },
    });
  });

  it('no subscriptions, no rules', () => {
    expect(accountRules([]).size).toBe(0);
  });
});
