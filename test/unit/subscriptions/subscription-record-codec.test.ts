import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../../services/shared/secret-box.js';
import { sealSubscription } from '../../../services/shared/subscriptions/seal-subscription.js';
import { initialSigningSecrets } from '../../../services/shared/subscriptions/signing-secrets.js';
import { decodeSubscriptionRecord, encodeSubscriptionRecord } from '../../../services/shared/subscriptions/subscription-record-codec.js';
import type { StoredSubscription, Subscription } from '../../../services/shared/subscriptions/subscription-types.js';

const box = new SecretBox([{ keyId: 'k1', key: randomBytes(32) }], 'k1');
const base: Subscription = {
  id: 'sub_codec', accountId: 'acc_alpha', state: 'active', name: 'codec', url: 'https://hooks.example.com/in?token=q-secret&x=1', source: { kind: 'gps' },
  vehicleFilter: null, contentType: 'application/json', batching: { maxItems: 500, maxWaitMs: 5_000 }, auth: { type: 'none' }, alertEmails: ['ops@example.com'],
  retryPolicy: 'standard-7d', signing: initialSigningSecrets(`whsec_${randomBytes(24).toString('base64')}`), verifiedAt: null,
  createdAt: '2026-11-23T00:00:00.000Z', updatedAt: '2026-11-23T00:00:00.000Z', revision: 3,
};
const stored = (patch: Partial<Subscription> = {}): StoredSubscription => sealSubscription(box, { ...base, ...patch });
const record = (subscription: unknown): Buffer => Buffer.from(JSON.stringify({ schemaVersion: 1, subscription }));

describe('subscription record codec', () => {
  it.each<[string, Partial<Subscription>]>([
    ['a GPS subscription with URL secrets', {}],
    ['basic auth and a vehicle filter', { auth: { type: 'basic', userName: 'u', password: 'p4ss' }, vehicleFilter: { vehicleIds: ['veh_1', 'veh_2'] } }],
    ['bearer auth, verified', { auth: { type: 'bearer', tokenValue: 't0k' }, verifiedAt: '2026-11-23T01:00:00.000Z' }],
    ['an API key with a fixed Authorization header', { auth: { type: 'apikey', tokenValue: 'k', authorization: 'Token x' } }],
    ['a custom header and a form body', { auth: { type: 'custom', tokenName: 'X-Key', tokenValue: 'v' }, contentType: 'application/x-www-form-urlencoded' }],
    ['no auth but an Authorization header', { auth: { type: 'none', authorization: 'Basic abc' } }],
    ['event selections of every shape', { source: { kind: 'event', eventTypes: [
      { type: 'speeding', threshold: 120, units: 'kmh' }, { type: 'posted_speeding', threshold: 10, units: 'mph' }, { type: 'landmark_enter', landmarkIds: ['lm_1'] },
      { type: 'landmark_change' }, { type: 'idle', minutes: 5 }, { type: 'ignition_on' },
    ] } }],
    ['an idle selection without minutes, a landmark selection without ids', { source: { kind: 'event', eventTypes: [{ type: 'idle' }, { type: 'landmark_leave' }] } }],
    ['a schedule every 15 minutes', { source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 15 } } }],
    ['a monthly schedule on the 15th, paused', { source: { kind: 'scheduled', cadence: { every: 'month', day: 15 } }, state: 'paused' }],
    ['a daily schedule at 06:30 UTC', { source: { kind: 'scheduled', cadence: { every: 'day', at: '06:30' } } }],
    ['alert-address confirmations', { alertEmailConfirmations: { 'a@example.com': { state: 'pending', tokenHash: 'h', requestedAt: 'r', expiresAt: 'e' }, 'b@example.com': { state: 'confirmed', confirmedAt: 'c', via: 'link' } } }],
  ])('round-trips %s exactly', (_what, patch) => {
    const sub = stored(patch);
    expect(decodeSubscriptionRecord(encodeSubscriptionRecord(sub))).toEqual({ kind: 'subscription', subscription: sub });
  });

  it.each<[string, unknown[], unknown[]]>([
    ['speeding in km/h as written before units', [{ type: 'speeding', thresholdKph: 120 }], [{ type: 'speeding', threshold: 120, units: 'kmh' }]],
    ['posted_speeding in km/h as written before units', [{ type: 'posted_speeding', overLimitKph: 10 }], [{ type: 'posted_speeding', threshold: 10, units: 'kmh' }]],
    ['an empty landmark list (all landmarks)', [{ type: 'landmark_enter', landmarkIds: [] }], [{ type: 'landmark_enter' }]],
  ])('reads %s', (_what, written, read) => {
    const sub = stored();
    expect(decodeSubscriptionRecord(record({ ...sub, source: { kind: 'event', eventTypes: written } }))).toEqual({
      kind: 'subscription', subscription: { ...sub, source: { kind: 'event', eventTypes: read } },
    });
  });

  it('keeps a previous signing secret during a rotation and ignores fields it does not know', () => {
    const sub = stored();
    const rotated = { ...sub, signing: { ...sub.signing, previous: sub.signing.current, previousExpiresAt: 'x', rotatedAt: 'y' } };
    expect(decodeSubscriptionRecord(record({ ...rotated, addedLater: true }))).toEqual({ kind: 'subscription', subscription: rotated });
  });

  it.each([
    ['a monthly cadence without its day reads as the 1st', { every: 'month' }, { every: 'month', day: 1 }],
    ['a daily cadence without its time reads as 00:00', { every: 'day' }, { every: 'day', at: '00:00' }],
    ['every 120 minutes (the old limit was a day) stays readable', { every: 'minutes', minutes: 120 }, { every: 'minutes', minutes: 120 }],
  ])('reads a record written before the cadence options: %s', (_what, written, read) => {
    const sub = stored({ source: { kind: 'scheduled', cadence: { every: 'hour' } } });
    expect(decodeSubscriptionRecord(record({ ...sub, source: { kind: 'scheduled', cadence: written } }))).toEqual({ kind: 'subscription', subscription: { ...sub, source: { kind: 'scheduled', cadence: read } } });
  });

  const good = stored({ auth: { type: 'basic', userName: 'u', password: 'p' } });
  it.each<[string, Buffer, string]>([
    ['not JSON', Buffer.from('{'), 'value is not JSON'],
    ['another envelope version', Buffer.from(JSON.stringify({ schemaVersion: 2, subscription: good })), 'unknown schemaVersion'],
    ['a JSON array', Buffer.from('[]'), 'unknown schemaVersion'],
    ['no subscription', Buffer.from(JSON.stringify({ schemaVersion: 1 })), 'missing subscription'],
    ['a subscription that is a string', record('sub_1'), 'subscription: must be an object'],
    ['a plaintext password', record({ ...good, auth: { type: 'basic', userName: 'u', password: 'plain' } }), 'subscription.auth.password: must be a sealed secret'],
    ['a plaintext URL secret', record({ ...good, urlSecrets: ['plain'] }), 'subscription.urlSecrets[0]: must be a sealed secret'],
    ['a plaintext signing secret', record({ ...good, signing: { ...good.signing, current: 'whsec_plain' } }), 'subscription.signing.current: must be a sealed secret'],
    ['a plaintext previous signing secret', record({ ...good, signing: { ...good.signing, previous: 'whsec_old' } }), 'subscription.signing.previous: must be a sealed secret'],
    ['an unknown state', record({ ...good, state: 'sleeping' }), 'subscription.state: must be one of'],
    ['an unknown auth type', record({ ...good, auth: { type: 'oauth' } }), 'subscription.auth.type: must be one of'],
    ['an unknown event type', record({ ...good, source: { kind: 'event', eventTypes: [{ type: 'teleported' }] } }), 'subscription.source.eventTypes[0].type: must be one of'],
    ['a speeding selection without its threshold', record({ ...good, source: { kind: 'event', eventTypes: [{ type: 'speeding', units: 'kmh' }] } }), 'subscription.source.eventTypes[0].threshold: is required'],
    ['a speeding selection in unknown units', record({ ...good, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 9, units: 'knots' }] } }), 'subscription.source.eventTypes[0].units: must be one of kmh, mph'],
    ['idle minutes as text', record({ ...good, source: { kind: 'event', eventTypes: [{ type: 'idle', minutes: '5' }] } }), 'subscription.source.eventTypes[0].minutes: must be a number'],
    ['landmark ids that are not strings', record({ ...good, source: { kind: 'event', eventTypes: [{ type: 'landmark_change', landmarkIds: [1] }] } }), 'subscription.source.eventTypes[0].landmarkIds: must be an array of strings'],
    ['a revision as text', record({ ...good, revision: '3' }), 'subscription.revision: must be a number'],
    ['no batching', record({ ...good, batching: undefined }), 'subscription.batching: is required'],
    ['a confirmation of an unknown state', record({ ...good, alertEmailConfirmations: { 'a@x': { state: 'maybe' } } }), 'subscription.alertEmailConfirmations.a@x.state: must be one of'],
  ])('refuses %s, naming the field', (_what, value, reason) => {
    const decoded = decodeSubscriptionRecord(value);
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind === 'invalid') expect(decoded.reason).toContain(reason);
  });

  it('never quotes a value in its reason (records hold URLs, addresses and secrets)', () => {
    const decoded = decodeSubscriptionRecord(record({ ...good, auth: { type: 'basic', userName: 'u', password: 'hunter2-plain' }, url: 42 }));
    expect(decoded).toMatchObject({ kind: 'invalid' });
    expect(JSON.stringify(decoded)).not.toContain('hunter2');
  });
});
