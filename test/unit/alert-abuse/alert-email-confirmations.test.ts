import { describe, expect, it } from 'vitest';
import {
  addressState, alertAddressViews, hashConfirmationToken, isAlertAddressConfirmed, pendingAddressForToken, planConfirmationRequests, subscriptionIdOfToken,
} from '../../../services/shared/subscriptions/alert-email-confirmations.js';
import type { AlertEmailConfirmations } from '../../../services/shared/subscriptions/subscription-types.js';

const now = Date.parse('2026-12-01T12:00:00.000Z');
const later = '2026-12-08T12:00:00.000Z';
const earlier = '2026-12-01T11:00:00.000Z';
const subId = 'sub_0miq0j0w1a1b2c3d4e5f6a7b8';
const token = `${subId}.${'a'.repeat(43)}`;
const confirmations: AlertEmailConfirmations = {
  'ops@example.test': { state: 'confirmed', confirmedAt: earlier, via: 'link' },
  'new@example.test': { state: 'pending', tokenHash: hashConfirmationToken(token), requestedAt: earlier, expiresAt: later },
  'old@example.test': { state: 'pending', tokenHash: hashConfirmationToken(`${subId}.${'b'.repeat(43)}`), requestedAt: earlier, expiresAt: earlier },
};
const sub = { alertEmails: ['Ops@Example.test', 'new@example.test', 'old@example.test', 'never@example.test'], alertEmailConfirmations: confirmations };

describe('alert-address confirmation decisions', () => {
  it.each([
    ['Ops@Example.test', true], ['ops@example.test ', true], ['new@example.test', false], ['old@example.test', false], ['never@example.test', false], ['stranger@example.test', false],
  ])('%s confirmed: %s (case and spaces ignored; only listed, confirmed addresses)', (address, expected) => {
    expect(isAlertAddressConfirmed(sub, address)).toBe(expected);
  });

  it('a confirmed entry for an address no longer listed does not count; a record without the map confirms nobody', () => {
    expect(isAlertAddressConfirmed({ alertEmails: ['x@example.test'], alertEmailConfirmations: confirmations }, 'ops@example.test')).toBe(false);
    expect(isAlertAddressConfirmed({ alertEmails: ['ops@example.test'] }, 'ops@example.test')).toBe(false);
  });

  it('states: confirmed, pending until expiresAt, then expired; no entry = unconfirmed', () => {
    expect(alertAddressViews(sub, now).map((v) => [v.address, v.state, v.expiresAt])).toEqual([
      ['Ops@Example.test', 'confirmed', null], ['new@example.test', 'pending', later], ['old@example.test', 'expired', earlier], ['never@example.test', 'unconfirmed', null],
    ]);
    expect(addressState(confirmations['new@example.test'], Date.parse(later))).toBe('expired');
  });

  it('writing the list asks new and expired addresses, keeps confirmed and pending ones, forgets removed ones', () => {
    const plan = planConfirmationRequests(confirmations, ['ops@example.test', 'new@example.test', 'old@example.test', 'fresh@example.test'], now);
    expect(plan.toRequest).toEqual(['old@example.test', 'fresh@example.test']);
    expect(Object.keys(plan.kept)).toEqual(['ops@example.test', 'new@example.test']);
    expect(planConfirmationRequests(undefined, ['a@example.test'], now).toRequest).toEqual(['a@example.test']);
    expect(planConfirmationRequests(confirmations, [], now)).toEqual({ kept: {}, toRequest: [] });
    expect(planConfirmationRequests(undefined, ['Twice@example.test', 'twice@example.test'], now).toRequest).toEqual(['Twice@example.test']);
  });

  it('a token confirms only its own listed, pending, unexpired address', () => {
    expect(pendingAddressForToken(sub, token, now)).toBe('new@example.test');
    expect(pendingAddressForToken(sub, token, Date.parse(later))).toBeNull();
    expect(pendingAddressForToken(sub, `${subId}.${'b'.repeat(43)}`, now)).toBeNull(); // expired
    expect(pendingAddressForToken(sub, `${token}x`, now)).toBeNull();
    expect(pendingAddressForToken(sub, '', now)).toBeNull();
    expect(pendingAddressForToken({ ...sub, alertEmails: ['ops@example.test'] }, token, now)).toBeNull(); // removed
  });

  it.each([
    [token, subId], [`${subId}.${'a'.repeat(42)}`, null], [`${subId}.${'a'.repeat(43)}=`, null], [`sub_x.${'a'.repeat(43)}`, null], ['', null], [`${subId}`, null], [`../${token}`, null],
  ])('token %s names subscription %s', (t, expected) => {
    expect(subscriptionIdOfToken(t)).toBe(expected);
  });
});
