import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { challengeResponse } from '../../services/shared/webhook-signature.js';
import { AdminApiHarness, accountKeys } from '../helpers/admin-api-harness.js';
import type { ApiReply } from '../helpers/admin-api-harness.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const windowMs = 4_000;

/**
 * Verify and test-event calls are limited per subscription per window, and the limit is
 * shared by every admin API instance (one Redis counter): the default 5 per window, here a
 * 4 s window so the test can also see it reopen.
 */
describe('verify and test calls are rate-limited per subscription across admin API instances', () => {
  let h: AdminApiHarness;
  let a: AdminApp;
  let b: AdminApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    h = await AdminApiHarness.create({ FLEETHOOK_ADMIN_RATE_LIMIT_WINDOW_MS: String(windowMs) });
    [a, b] = [await h.startInstance(), await h.startInstance()];
    receiver = await WebhookReceiver.start(behaviours.status(500, 'nope'));
  });
  afterAll(async () => {
    await receiver?.close();
    await h?.close();
  });

  async function create(): Promise<{ id: string; secret: string }> {
    const r = await h.call(a, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'limited', source: { kind: 'gps' }, alertEmails: [] } });
    const json = r.json as { subscription: { id: string }; signingSecret: string };
    return { id: json.subscription.id, secret: json.signingSecret };
  }
  const requestsFor = (): number => receiver.requests.length;
  const limitedShape = (r: ApiReply): void => {
    expect(r.status).toBe(429);
    expect(r.json).toEqual({ code: 'rate_limited', message: expect.stringContaining('too many'), field: null });
  };

  it('8 rapid verifies spread over two instances: 5 reach the endpoint, 3 get 429 with Retry-After; after that delay verify works again', async () => {
    const sub = await create();
    const before = requestsFor();
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => fetchRaw(i % 2 === 0 ? a : b, 'POST', `/v1/subscriptions/${sub.id}/verify`)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(requestsFor() - before).toBe(5);
    for (const r of replies.filter((x) => x.status === 429)) {
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);
      limitedShape({ status: r.status, json: JSON.parse(r.text), text: r.text });
    }
    // The refused calls did not touch the subscription either.
    expect((await h.call(b, 'GET', `/v1/subscriptions/${sub.id}`)).json).toMatchObject({ state: 'pending_verification', revision: 1 });

    const wait = Number(replies.find((r) => r.status === 429)?.headers.get('retry-after'));
    await sleep(wait * 1000 + 100);
    receiver.behave(behaviours.custom((req) => ({ status: 200, body: JSON.stringify({ challengeResponse: challengeResponse(sub.secret, (JSON.parse(req.text) as { challenge: string }).challenge) }) })));
    const again = await h.call(b, 'POST', `/v1/subscriptions/${sub.id}/verify`);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ result: { kind: 'verified' }, subscription: { state: 'active' } });
    receiver.behave(behaviours.status(500, 'nope'));
  });

  it('test events have their own budget per subscription; another subscription, another account and unknown ids are unaffected or refused first', async () => {
    const [one, two] = [await create(), await create()];
    // Another account's calls are 404 and use none of the owner's budget; nor do unknown ids.
    for (let i = 0; i < 6; i++) expect((await h.call(a, 'POST', `/v1/subscriptions/${one.id}/test`, { key: accountKeys.acc_beta })).status).toBe(404);
    expect((await h.call(a, 'POST', '/v1/subscriptions/sub_000000000aaaaaaaaaaaaaaaa/test')).status).toBe(404);
    expect((await h.call(a, 'POST', `/v1/subscriptions/${one.id}/test`, { body: { extra: true } })).status).toBe(400);
    const before = requestsFor();
    const tests = [];
    for (let i = 0; i < 6; i++) tests.push(await h.call(i % 2 === 0 ? a : b, 'POST', `/v1/subscriptions/${one.id}/test`));
    expect(tests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    limitedShape(tests[5] as ApiReply);
    expect(requestsFor() - before).toBe(5);
    // Verify keeps its own budget, and the other subscription its own.
    expect((await h.call(b, 'POST', `/v1/subscriptions/${one.id}/verify`)).status).toBe(200);
    expect((await h.call(b, 'POST', `/v1/subscriptions/${two.id}/test`)).status).toBe(200);
    // The sixth call went to instance b (odd index), which counted the refusal.
    const metrics = (await h.call(b, 'GET', '/metrics', { key: null })).text;
    expect(metrics).toMatch(/fleethook_admin_rate_limit_checks_total\{call="test",outcome="limited"\} 1$/m);
  });

  it('with Redis unreachable the limit still holds on each instance (and the calls still work)', async () => {
    const lonely = await h.startInstance({ FLEETHOOK_REDIS_URL: 'redis://127.0.0.1:1' });
    const sub = await create();
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await h.call(lonely, 'POST', `/v1/subscriptions/${sub.id}/test`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const metrics = (await h.call(lonely, 'GET', '/metrics', { key: null })).text;
    expect(metrics).toMatch(/fleethook_admin_rate_limit_checks_total\{call="test",outcome="limited_local"\} 2/);
    await h.stopInstance(lonely);
  });

  async function fetchRaw(app: AdminApp, method: string, path: string): Promise<{ status: number; headers: Headers; text: string }> {
    const res = await fetch(`http://127.0.0.1:${app.port}${path}`, { method, headers: { authorization: `Bearer ${accountKeys.acc_alpha}` } });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }
});
