import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toSubscriptionView } from '../../../services/admin-api/subscription-view.js';
import { SecretBox } from '../../../services/shared/secret-box.js';
import { openSubscription, openUrl, sealSubscription, sealUrl } from '../../../services/shared/subscriptions/seal-subscription.js';
import { decodeSubscriptionRecord, encodeSubscriptionRecord } from '../../../services/shared/subscriptions/subscription-record-codec.js';
import { initialSigningSecrets } from '../../../services/shared/subscriptions/signing-secrets.js';
import type { Subscription } from '../../../services/shared/subscriptions/subscription-types.js';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const sub: Subscription = {
  id: 'sub_view', accountId: 'acc_alpha', state: 'active', name: 'view', url: 'https://hooks.example.com/in', source: { kind: 'gps' }, vehicleFilter: null,
  contentType: 'application/json', batching: { maxItems: 500, maxWaitMs: 5_000 }, auth: { type: 'bearer', tokenValue: 'tok-secret-123' }, alertEmails: [],
  retryPolicy: 'standard-7d', signing: initialSigningSecrets(secret), verifiedAt: null, createdAt: '2026-11-23T00:00:00.000Z', updatedAt: '2026-11-23T00:00:00.000Z', revision: 1,
};

describe('toSubscriptionView', () => {
  it('masks every secret and shows the last characters of the signing secret', () => {
    const box = new SecretBox([{ keyId: 'k1', key: randomBytes(32) }], 'k1');
    const view = toSubscriptionView(sealSubscription(box, sub), box);
    expect(view.signing.current).toBe(`****whsec_…${secret.slice(-4)}`);
    expect(JSON.stringify(view)).not.toContain('tok-secret-123');
    expect(JSON.stringify(view)).not.toContain(secret);
  });

  it('still shows a subscription whose secrets were sealed with a key this instance does not have (masked as set)', () => {
    const other = new SecretBox([{ keyId: 'k1', key: randomBytes(32) }], 'k1');
    const mine = new SecretBox([{ keyId: 'k1', key: randomBytes(32) }], 'k1');
    const view = toSubscriptionView(sealSubscription(other, sub), mine);
    expect(view).toMatchObject({ id: 'sub_view', signing: { current: '********' } });
  });

  it('seals secret query values: masked in the stored record and the view, whole again when opened', () => {
    const box = new SecretBox([{ keyId: 'k1', key: randomBytes(32) }], 'k1');
    const url = 'https://hooks.example.com/in?token=q-secret-1&x=1&Sig=q%2Bsecret-2';
    const stored = sealSubscription(box, { ...sub, url });
    expect(stored.url).toBe('https://hooks.example.com/in?token=********&x=1&Sig=********');
    expect(JSON.stringify(stored)).not.toContain('q-secret-1');
    expect(decodeSubscriptionRecord(encodeSubscriptionRecord(stored))).toMatchObject({ kind: 'subscription' });
    expect(decodeSubscriptionRecord(encodeSubscriptionRecord({ ...stored, urlSecrets: ['plain' as never] }))).toMatchObject({ kind: 'invalid' });
    const view = toSubscriptionView(stored, box);
    expect(view.url).toBe(stored.url);
    expect(JSON.stringify(view)).not.toContain('q-secret');
    expect('urlSecrets' in view).toBe(false);
    expect(openSubscription(box, stored).url).toBe(url);
    expect(openUrl(box, stored)).toBe(url);
    const moved = { ...stored, ...sealUrl(box, stored.id, 'https://hooks.example.com/new?auth_code=z9') };
    expect(moved.url).toBe('https://hooks.example.com/new?auth_code=********');
    expect(openSubscription(box, moved).url).toBe('https://hooks.example.com/new?auth_code=z9');
  });
});
