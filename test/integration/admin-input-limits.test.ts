import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { AdminApiHarness, accountKeys } from '../helpers/admin-api-harness.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

interface ErrorReply { code: string; message: string; field: string | null; issues?: { field: string; message: string }[]; issueCount?: number }

const base = { url: 'https://hooks.example.com/in', name: 'limits', source: { kind: 'gps' } };
let h: AdminApiHarness;
/** Default port list; hooks.example.com allow-listed so no DNS is needed. */
let app: AdminApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  app = await h.startInstance({
    FLEETHOOK_ADMIN_ALLOWED_PORTS: '443,80,8443,8080', FLEETHOOK_ADMIN_ALLOW_HTTP: 'false',
    FLEETHOOK_ADMIN_ALLOW_ADDRESSES: 'hooks.example.com', FLEETHOOK_ADMIN_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '4',
  });
  receiver = await WebhookReceiver.start();
});

afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

const post = (body: unknown, target = app, key: string = accountKeys.acc_alpha): ReturnType<AdminApiHarness['call']> =>
  h.call(target, 'POST', '/v1/subscriptions', { body, key });
const error = (r: { json: unknown }): ErrorReply => r.json as ErrorReply;

describe('endpoint URLs', () => {
  it('name only an allowed port: :22, :25, :6379 and :0 are 422 url_not_allowed, :8443 is fine', async () => {
    for (const port of [22, 25, 6379, 0, 9200, 65535]) {
      const r = await post({ ...base, url: `https://hooks.example.com:${port}/in` });
      expect(r.status, String(port)).toBe(422);
      expect(error(r)).toMatchObject({ code: 'url_not_allowed', field: 'url', message: expect.stringContaining(`port ${port} is not allowed`) });
    }
    const ok = await post({ ...base, url: 'https://hooks.example.com:8443/in' });
    expect(ok.status).toBe(201);
    await h.call(app, 'DELETE', `/v1/subscriptions/${(ok.json as { subscription: { id: string } }).subscription.id}`);
  });

  it('carry no fragment, not even an empty #, and no control characters or spaces', async () => {
    for (const url of ['https://hooks.example.com/in#', 'https://hooks.example.com/#x', 'https://hooks.example.com/in?a=1#', 'https://hooks.example.com/i\tn', 'https://hooks.example.com/i\u0000n', 'https://hooks.example.com/a b']) {
      const r = await post({ ...base, url });
      expect(r.status, JSON.stringify(url)).toBe(400);
      expect(error(r).field).toBe('url');
    }
  });

  it('keep secret query values sealed: masked in every view, absent from the topic, sent in real requests', async () => {
    const withLoopback = await h.startInstance();
    const marker = 'QueryS3cret-Marker-7';
    const url = `${receiver.url}?token=${marker}&plain=visible&api_key=${marker}2`;
    const created = await post({ ...base, url }, withLoopback);
    expect(created.status).toBe(201);
    const sub = (created.json as { subscription: { id: string; url: string } }).subscription;
    expect(sub.url).toBe(`${receiver.url}?token=********&plain=visible&api_key=********`);
    const read = await h.call(withLoopback, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(read.text).not.toContain(marker);
    expect((await h.call(withLoopback, 'GET', '/v1/subscriptions')).text).not.toContain(marker);
    receiver.behave(behaviours.ok());
    receiver.clear();
    const test = await h.call(withLoopback, 'POST', `/v1/subscriptions/${sub.id}/test`);
    expect(test.json).toMatchObject({ delivered: true });
    expect(receiver.requests[0]?.path).toBe(`${new URL(receiver.url).pathname}?token=${marker}&plain=visible&api_key=${marker}2`);
    const masked = await h.call(withLoopback, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { url: sub.url } });
    expect(masked.status).toBe(400);
    expect(error(masked)).toMatchObject({ field: 'url', message: expect.stringContaining('masked') });
    const bytes = Buffer.concat(await h.rawTopicBytes(1)).toString('utf8');
    expect(bytes).toContain('token=********');
    expect(bytes).not.toContain(marker);
    await h.call(withLoopback, 'DELETE', `/v1/subscriptions/${sub.id}`);
    await h.stopInstance(withLoopback);
  });
});

describe('text fields', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['NUL in the name', { name: 'a\u0000b' }, 'name'],
    ['ESC in the name', { name: 'a\u001bb' }, 'name'],
    ['C1 NEL in the name', { name: 'a\u0085b' }, 'name'],
    ['a lone surrogate in the name', { name: 'a\ud800b' }, 'name'],
    ['NUL in an alert e-mail', { alertEmails: ['ops\u0000@example.com'] }, 'alertEmails[0]'],
    ['an IP-literal e-mail', { alertEmails: ['a@[127.0.0.1]'] }, 'alertEmails[0]'],
    ['an IP-v6-literal e-mail', { alertEmails: ['a@[IPv6:::1]'] }, 'alertEmails[0]'],
    ['a numeric e-mail domain', { alertEmails: ['a@127.0.0.1'] }, 'alertEmails[0]'],
    ['a quoted local part', { alertEmails: ['"a b"@example.com'] }, 'alertEmails[0]'],
    ['NUL in the basic-auth user name', { auth: { type: 'basic', userName: 'u\u0000', password: 'p' } }, 'auth.userName'],
    ['a tab in a token', { auth: { type: 'bearer', tokenValue: 'a\tb' } }, 'auth.tokenValue'],
    ['NUL in a password', { auth: { type: 'basic', userName: 'u', password: 'p\u0000' } }, 'auth.password'],
    ['NUL in a custom header name', { auth: { type: 'custom', tokenName: 'X-K\u0000', tokenValue: 't' } }, 'auth.tokenName'],
    ['DEL in a fixed Authorization', { auth: { type: 'none', authorization: 'x\u007f' } }, 'auth.authorization'],
  ];
  it.each(cases)('refuse %s', async (_name, fields, field) => {
    const r = await post({ ...base, ...fields });
    expect(r.status).toBe(400);
    expect(error(r).issues?.map((i) => i.field)).toContain(field);
  });

  it('accept ordinary Unicode, including characters outside the BMP, counted as characters', async () => {
    const r = await post({ ...base, name: `Flotte Zürich 🚚 ${'😀'.repeat(150)}`, alertEmails: ['ops+fleet@example.co.uk', 'a@xn--mller-kva.de'] });
    expect(r.status).toBe(201);
    await h.call(app, 'DELETE', `/v1/subscriptions/${(r.json as { subscription: { id: string } }).subscription.id}`);
  });
});

describe('error bodies', () => {
  it('stay small for 5,000 unknown fields: the first ten issues and a count', async () => {
    const body: Record<string, unknown> = { ...base };
    for (let i = 0; i < 5_000; i++) body[`f${i}`] = i;
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.text.length).toBeLessThan(5_000);
    expect(error(r)).toMatchObject({ code: 'validation_failed', issueCount: 5_000, message: expect.stringContaining('and 4997 more') });
    expect(error(r).issues).toHaveLength(10);
  });

  it('cut long client-chosen field names', async () => {
    const r = await post({ ...base, ['k'.repeat(30_000)]: 1 });
    expect(r.status).toBe(400);
    expect(r.text.length).toBeLessThan(2_000);
  });

  it('never echo the body: invalid JSON, bad text values, a bad id', async () => {
    const r = await h.call(app, 'POST', '/v1/subscriptions', { rawBody: 'url=https://x?token=EchoMarker' });
    expect(r.status).toBe(400);
    expect(error(r)).toEqual({ code: 'invalid_json', message: 'the body is not valid JSON', field: '(body)' });
    expect(r.text).not.toContain('EchoMarker');
    const fields = await post({ ...base, name: 'EchoMarker\u0000', alertEmails: ['EchoMarker@[127.0.0.1]'], contentType: 'EchoMarker', batching: { maxItems: 'EchoMarker', maxWaitMs: 0 } });
    expect(fields.status).toBe(400);
    expect(error(fields).issueCount).toBe(4);
    expect(fields.text).not.toContain('EchoMarker');
    const id = await h.call(app, 'GET', '/v1/subscriptions/EchoMarker');
    expect(id.status).toBe(404);
    expect(id.text).not.toContain('EchoMarker');
  });

  it('refuse duplicate keys at any depth, also when escaped differently, and nesting deeper than 32', async () => {
    const bodies = [
      '{"url":"https://hooks.example.com/in","name":"a","name":"b","source":{"kind":"gps"}}',
      '{"url":"https://hooks.example.com/in","name":"a","source":{"kind":"gps","kind":"dtc"}}',
      '{"url":"https://hooks.example.com/in","name":"a","n\\u0061me":"b","source":{"kind":"gps"}}',
      `{"url":"https://hooks.example.com/in","name":"a","source":{"kind":"gps"},"x":${'['.repeat(40)}${']'.repeat(40)}}`,
    ];
    for (const rawBody of bodies) {
      const r = await h.call(app, 'POST', '/v1/subscriptions', { rawBody });
      expect(r.status, rawBody.slice(0, 80)).toBe(400);
      expect(error(r)).toMatchObject({ code: 'invalid_json', field: '(body)' });
    }
    const patch = await h.call(app, 'PATCH', '/v1/subscriptions/sub_01hzzzzzzzzzzzzzzzzzzzzzzz', { rawBody: '{"name":"a","name":"b"}' });
    expect(patch.status).toBe(400);
    expect(error(patch).code).toBe('invalid_json');
  });
});

describe('lists', () => {
  it('report a repeat at the end of 10,000 vehicle ids, at its index', async () => {
    const vehicleIds = Array.from({ length: 9_999 }, (_, i) => `veh-${i}`);
    vehicleIds.push('veh-17');
    const roomy = await h.startInstance({ FLEETHOOK_ADMIN_BODY_LIMIT_BYTES: '1048576', FLEETHOOK_ADMIN_ALLOW_ADDRESSES: 'hooks.example.com' });
    const r = await post({ ...base, vehicleFilter: { vehicleIds } }, roomy);
    expect(r.status).toBe(400);
    expect(error(r).field).toBe('vehicleFilter.vehicleIds[9999]');
    vehicleIds.pop();
    const ok = await post({ ...base, vehicleFilter: { vehicleIds } }, roomy, accountKeys.acc_beta);
    expect(ok.status).toBe(201);
    await h.call(roomy, 'DELETE', `/v1/subscriptions/${(ok.json as { subscription: { id: string } }).subscription.id}`, { key: accountKeys.acc_beta });
    await h.stopInstance(roomy);
  });
});

describe('subscriptions per account', () => {
  it('stop at the limit with 422 subscription_limit_reached, per account, even when created concurrently', async () => {
    const before = (await h.call(app, 'GET', '/v1/subscriptions').then((r) => (r.json as { data: unknown[] }).data.length));
    expect(before).toBe(0);
    const replies = await Promise.all(Array.from({ length: 7 }, (_, i) => post({ ...base, name: `n${i}` })));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(4);
    const refused = replies.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(error(r)).toMatchObject({ code: 'subscription_limit_reached', field: 'accountId' });
    expect(refused[0]?.status).toBe(422);
    expect((await post({ ...base }, app, accountKeys.acc_beta)).status).toBe(201);
    const first = (replies.find((r) => r.status === 201)?.json as { subscription: { id: string } }).subscription.id;
    expect((await h.call(app, 'DELETE', `/v1/subscriptions/${first}`)).status).toBe(204);
    expect((await post({ ...base })).status).toBe(201);
    expect((await post({ ...base })).status).toBe(422);
  });
});
