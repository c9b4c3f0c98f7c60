import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { accountKeys, AdminApiHarness, operatorKey } from '../helpers/admin-api-harness.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

let h: AdminApiHarness;
let app: AdminApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  app = await h.startInstance();
  receiver = await WebhookReceiver.start(behaviours.ok());
});

afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

const create = async (key: string, name: string): Promise<string> => {
  const r = await h.call(app, 'POST', '/v1/subscriptions', { key, body: { url: receiver.url, name, source: { kind: 'gps' } } });
  expect(r.status).toBe(201);
  return (r.json as { subscription: { id: string } }).subscription.id;
};

describe('tenant isolation', () => {
  it('account A can neither list, read, change, verify, test, pause, resume, reactivate, rotate nor delete B\'s subscriptions', async () => {
    const a = await create(accountKeys.acc_alpha, 'alpha hook');
    const b = await create(accountKeys.acc_beta, 'beta hook');
    const asAlpha = { key: accountKeys.acc_alpha };

    const list = await h.call(app, 'GET', '/v1/subscriptions', asAlpha);
    expect(list.status).toBe(200);
    expect((list.json as { data: { id: string }[] }).data.map((s) => s.id)).toEqual([a]);

    const attempts: [string, string, unknown][] = [
      ['GET', `/v1/subscriptions/${b}`, undefined],
      ['PATCH', `/v1/subscriptions/${b}`, { name: 'hijacked' }],
      ['POST', `/v1/subscriptions/${b}/verify`, undefined],
      ['POST', `/v1/subscriptions/${b}/test`, undefined],
      ['POST', `/v1/subscriptions/${b}/pause`, undefined],
      ['POST', `/v1/subscriptions/${b}/resume`, undefined],
      ['POST', `/v1/subscriptions/${b}/reactivate`, undefined],
      ['POST', `/v1/subscriptions/${b}/recover`, undefined],
      ['POST', `/v1/subscriptions/${b}/rotate-secret`, undefined],
      ['GET', `/v1/subscriptions/${b}/status`, undefined],
      ['DELETE', `/v1/subscriptions/${b}`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const r = await h.call(app, method, path, { ...asAlpha, body });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
      expect(r.json).toMatchObject({ code: 'not_found' });
    }
    // Nothing reached the endpoint and B's subscription is untouched.
    expect(receiver.requests).toHaveLength(0);
    const asBeta = await h.call(app, 'GET', `/v1/subscriptions/${b}`, { key: accountKeys.acc_beta });
    expect(asBeta.json).toMatchObject({ id: b, name: 'beta hook', state: 'pending_verification', revision: 1 });
  });

  it('the operator key sees every account and can filter by account', async () => {
    const all = await h.call(app, 'GET', '/v1/subscriptions', { key: operatorKey });
    const accounts = new Set((all.json as { data: { accountId: string }[] }).data.map((s) => s.accountId));
    expect(accounts).toEqual(new Set(['acc_alpha', 'acc_beta']));
    const beta = await h.call(app, 'GET', '/v1/subscriptions?accountId=acc_beta', { key: operatorKey });
    expect((beta.json as { data: { accountId: string }[] }).data.every((s) => s.accountId === 'acc_beta')).toBe(true);
    const created = await h.call(app, 'POST', '/v1/subscriptions', {
      key: operatorKey, body: { accountId: 'acc_gamma', url: receiver.url, name: 'by operator', source: { kind: 'dtc' } },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ subscription: { accountId: 'acc_gamma' } });
  });

  it('an account key cannot name another account, and unknown or missing keys get 401', async () => {
    const r = await h.call(app, 'POST', '/v1/subscriptions', { body: { accountId: 'acc_beta', url: receiver.url, name: 'x', source: { kind: 'gps' } } });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ code: 'forbidden', field: 'accountId' });
    const list = await h.call(app, 'GET', '/v1/subscriptions?accountId=acc_beta');
    expect(list.status).toBe(403);
    expect(list.json).toMatchObject({ code: 'forbidden', field: 'query.accountId' });
    const own = await h.call(app, 'POST', '/v1/subscriptions', { body: { accountId: 'acc_alpha', url: receiver.url, name: 'own', source: { kind: 'gps' } } });
    expect(own.status).toBe(201);
    expect(own.json).toMatchObject({ subscription: { accountId: 'acc_alpha' } });
    expect((await h.call(app, 'GET', '/v1/subscriptions', { key: null })).status).toBe(401);
    expect((await h.call(app, 'GET', '/v1/subscriptions', { key: 'not-a-real-key-0123456789' })).status).toBe(401);
    expect((await h.call(app, 'GET', '/v1/subscriptions', { key: `${accountKeys.acc_alpha}x` })).status).toBe(401);
  });
});
