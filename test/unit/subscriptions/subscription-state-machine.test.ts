import { describe, expect, it } from 'vitest';
import { transition } from '../../../services/shared/subscriptions/subscription-state-machine.js';
import type { SubscriptionEvent } from '../../../services/shared/subscriptions/subscription-state-machine.js';
import type { SubscriptionState } from '../../../services/shared/subscriptions/subscription-types.js';
import { liveSigningSecrets, rotateSigningSecrets, initialSigningSecrets } from '../../../services/shared/subscriptions/signing-secrets.js';

describe('subscription state machine', () => {
  const rows: [SubscriptionState, SubscriptionEvent, string][] = [
    ['pending_verification', { kind: 'verified' }, 'active'],
    ['active', { kind: 'verified' }, 'unchanged'],
    ['paused', { kind: 'verified' }, 'rejected'],
    ['active', { kind: 'url_changed' }, 'pending_verification'],
    ['failing', { kind: 'url_changed' }, 'pending_verification'],
    ['paused', { kind: 'url_changed' }, 'unchanged'],
    ['active', { kind: 'paused' }, 'paused'],
    ['pending_verification', { kind: 'paused' }, 'paused'],
    ['deactivated', { kind: 'paused' }, 'rejected'],
    ['paused', { kind: 'resumed', verified: true }, 'active'],
    ['paused', { kind: 'resumed', verified: false }, 'pending_verification'],
    ['deactivated', { kind: 'resumed', verified: true }, 'active'],
    ['active', { kind: 'resumed', verified: true }, 'unchanged'],
    ['active', { kind: 'parked' }, 'failing'],
    ['paused', { kind: 'parked' }, 'unchanged'],
    ['failing', { kind: 'recovered' }, 'active'],
    ['failing', { kind: 'policy_exhausted' }, 'deactivated'],
    ['active', { kind: 'gone' }, 'deactivated'],
    ['paused', { kind: 'gone' }, 'unchanged'],
  ];
  it.each(rows)('%s + %j → %s', (from, event, expected) => {
    const t = transition(from, event);
    expect(t.kind === 'moved' ? t.to : t.kind).toBe(expected);
  });
});

describe('signing secret rotation', () => {
  it('signs with both secrets during the grace period, then only the new one', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const rotated = rotateSigningSecrets(initialSigningSecrets('whsec_old'), 'whsec_new', now, 60_000);
    expect(liveSigningSecrets(rotated, new Date(now.getTime() + 59_999))).toEqual(['whsec_new', 'whsec_old']);
    expect(liveSigningSecrets(rotated, new Date(now.getTime() + 60_000))).toEqual(['whsec_new']);
    expect(rotateSigningSecrets(rotated, 'whsec_newer', now, 60_000).previous).toBe('whsec_new');
  });
});
