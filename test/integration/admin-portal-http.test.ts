import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { portalContentSecurityPolicy } from '../../services/admin-api/portal-files.js';
import { exampleSigningSecret } from '../../services/admin-api/request-examples.js';
import { DeliveryStatusRecorder } from '../../services/dispatcher/deliver/delivery-status-recorder.js';
import { feedKey, maxFeedBodyBytes } from '../../services/shared/delivery-feed.js';
import { verifySignature } from '../../services/shared/webhook-signature.js';
import { accountKeys, AdminApiHarness, operatorKey } from '../helpers/admin-api-harness.js';
import { rawRequest } from '../helpers/raw-http.js';
import { stackEnv } from '../helpers/stack-env.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

let h: AdminApiHarness;
let app: AdminApp;
let receiver: WebhookReceiver;
let redis: Redis;
const base = (): string => `http://127.0.0.1:${app.port}`;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  app = await h.startInstance({ FLEETHOOK_REDIS_URL: stackEnv.redisUrl });
  receiver = await WebhookReceiver.start();
  redis = new Redis(stackEnv.redisUrl);
});

afterAll(async () => {
  const keys = redis ? await redis.keys(`${h.prefix}fh:*`) : [];
  if (keys.length > 0) await redis.del(...keys);
  await redis?.quit();
  await receiver?.close();
  await h?.close();
});

async function create(key: string = accountKeys.acc_alpha): Promise<{ id: string; secret: string }> {
  const r = await h.call(app, 'POST', '/v1/subscriptions', { key, body: { url: receiver.url, name: 'portal', source: { kind: 'gps' } } });
  expect(r.status).toBe(201);
  const json = r.json as { subscription: { id: string }; signingSecret: string };
  return { id: json.subscription.id, secret: json.signingSecret };
}

/** Reads a Server-Sent Events stream until `enough(events)` or the deadline; aborts it after. */
async function readEvents(url: string, enough: (events: { event: string; data: string }[]) => boolean, timeoutMs = 15_000): Promise<{ event: string; data: string }[]> {
  const stop = AbortSignal.timeout(timeoutMs);
  const res = await fetch(url, { signal: stop });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events: { event: string; data: string }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string): string | undefined => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const event = field('event');
        if (event !== undefined) events.push({ event, data: field('data') ?? '' });
      }
      if (enough(events)) break;
    }
  } catch (err) {
    if (!stop.aborted) throw err;
  }
  return events;
}

describe('the portal is served by the admin API', () => {
  it('serves its page, scripts and styles with their content types, a strict CSP and revalidation', async () => {
    const page = await fetch(`${base()}/portal/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(portalContentSecurityPolicy);
    expect(portalContentSecurityPolicy).toContain("script-src 'self'");
    expect(portalContentSecurityPolicy).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(page.headers.get('set-cookie')).toBeNull();
    const html = await page.text();
    // No inline script or style: every script has a src, no style element, no style or on* attribute.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    for (const src of [...html.matchAll(/(?:src|href)="([a-z0-9-]+\.(?:js|css))"/g)].map((m) => m[1])) {
      const r = await fetch(`${base()}/portal/${src}`);
      expect(r.status, src).toBe(200);
      expect(r.headers.get('content-type')).toBe(src?.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(r.headers.get('content-security-policy')).toBe(portalContentSecurityPolicy);
    }
    const redirect = await fetch(`${base()}/portal`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/portal/');
  });

  it('answers HEAD on every GET route with the GET\'s status and headers and no body; 405 lists HEAD', async () => {
    const sub = await create();
    const { token } = (await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/feed-token`)).json as { token: string };
    const auth = `authorization: Bearer ${accountKeys.acc_alpha}\r\n`;
    const targets: [string, string][] = [
      ['/portal/', ''], ['/portal/app.js', ''], ['/portal', ''], ['/portal/nope.js', ''], ['/v1/openapi.json', ''],
      ['/v1/subscriptions?limit=1', auth], [`/v1/subscriptions/${sub.id}`, auth], ['/v1/subscriptions/sub_unknown', auth],
      ['/v1/subscriptions', ''], ['/v1/examples?kind=nope', auth],
      // The live feed: its headers, and the connection is not held open as a stream.
      [`/v1/subscriptions/${sub.id}/feed?token=${encodeURIComponent(token)}`, ''],
    ];
    // A feed's GET never ends: its status and headers, then it is left.
    const streamHeaders = async (target: string): Promise<Awaited<ReturnType<typeof rawRequest>>> => {
      const stop = new AbortController();
      const res = await fetch(`${base()}${target}`, { signal: stop.signal });
      stop.abort();
      return { status: res.status, headers: Object.fromEntries(res.headers), body: '', silent: false };
    };
    const varying = ['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'];
    for (const [target, extra] of targets) {
      const send = (method: string): ReturnType<typeof rawRequest> => rawRequest(app.port, `${method} ${target} HTTP/1.1\r\nhost: x\r\n${extra}connection: close\r\n\r\n`);
      const [get, head] = [target.includes('/feed?') ? await streamHeaders(target) : await send('GET'), await send('HEAD')];
      expect(head.status, target).toBe(get.status);
      expect(head.body, target).toBe('');
      const same = (r: typeof get): Record<string, string> => Object.fromEntries(Object.entries(r.headers).filter(([k]) => !varying.includes(k)));
      expect(same(head), target).toEqual(same(get));
      // A stream has no length; everything else says how long the GET's body is.
      if (get.headers['content-type']?.startsWith('text/event-stream')) expect(head.headers['content-length'], target).toBeUndefined();
      else expect([target, head.headers['content-length']]).toEqual([target, String(Buffer.byteLength(get.body, 'latin1'))]);
    }
    const put = await h.call(app, 'PUT', '/v1/openapi.json');
    expect(put.status).toBe(405);
    expect(put.json).toMatchObject({ code: 'method_not_allowed', message: 'PUT is not allowed here; use GET, HEAD' });
    expect((await h.call(app, 'HEAD', '/v1/subscriptions', { key: null })).status).toBe(401);
    expect((await h.call(app, 'HEAD', '/v1/subscriptions')).text).toBe('');
    // HEAD on a route with no GET is still refused.
    expect((await rawRequest(app.port, `HEAD /v1/subscriptions/${sub.id}/verify HTTP/1.1\r\nhost: x\r\n${auth}connection: close\r\n\r\n`)).status).toBe(405);
  });

  it('refuses every path outside its folder, however it is spelled', async () => {
    const targets = [
      '/portal/../package.json', '/portal/..%2Fpackage.json', '/portal/%2e%2e%2fpackage.json', '/portal/..%5cpackage.json',
      '/portal/portal-files.ts', '/portal/.hidden.js', '/portal/APP.JS', '/portal/app.js%00.css', '/portal/sub/app.js', '/portal//etc/passwd',
      '/portal/%2e%2e/%2e%2e/services/admin-api/config.ts',
    ];
    for (const target of targets) {
      const r = await rawRequest(app.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      expect([400, 404], target).toContain(r.status);
      expect(r.body, target).not.toMatch(/"name": "fleethook"|loadConfig|export /);
    }
  });

  it('gives the example request of a kind, built and signed like a real one; refuses bad input and a bad key', async () => {
    const r = await h.call(app, 'GET', '/v1/examples?kind=event&eventType=speeding&contentType=application/json&auth=bearer');
    expect(r.status).toBe(200);
    const ex = r.json as { headers: Record<string, string>; body: string };
    const body = JSON.parse(ex.body) as { type: string; mode: string; accountId: string; data: { type: string; speedKmh: number }[] };
    expect(body).toMatchObject({ type: 'event', mode: 'test', accountId: 'acc_alpha', data: [{ type: 'speeding' }] });
    expect(ex.headers.authorization).toBe('Bearer your-token');
    const signed = { id: ex.headers['webhook-id'], timestamp: ex.headers['webhook-timestamp'], signature: ex.headers['webhook-signature'] };
    expect(verifySignature([exampleSigningSecret], signed, ex.body)).toMatchObject({ kind: 'valid' });
    const form = await h.call(app, 'GET', '/v1/examples?kind=dtc&contentType=application/x-www-form-urlencoded');
    const fields = new URLSearchParams((form.json as { body: string }).body);
    expect(fields.get('type')).toBe('dtc');
    expect(JSON.parse(fields.get('data') ?? '[]')).toHaveLength(1);
    // Scheduled webhooks are delivered (issue 13): their example is a scheduled body too.
    const scheduled = (await h.call(app, 'GET', '/v1/examples?kind=scheduled')).json as { body: string };
    expect(JSON.parse(scheduled.body)).toMatchObject({ type: 'scheduled', eventName: 'scheduled', mode: 'test' });
    expect((await h.call(app, 'GET', '/v1/examples?kind=nope')).json).toMatchObject({ code: 'validation_failed', field: 'query.kind' });
    expect((await h.call(app, 'GET', '/v1/examples')).json).toMatchObject({ code: 'validation_failed', field: 'query.kind' });
    expect((await h.call(app, 'GET', '/v1/examples?kind=gps&x=1')).json).toMatchObject({ code: 'validation_failed', field: 'query.x' });
    expect((await h.call(app, 'GET', '/v1/examples?kind=gps', { key: 'wrong-key-0123456789' })).status).toBe(401);
    expect((await h.call(app, 'GET', '/v1/examples?kind=gps', { key: null })).status).toBe(401);
  });

  it('streams a test event into the live feed of its subscription only, opened by a short-lived token, never by an API key', async () => {
    const sub = await create();
    const token = await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/feed-token`);
    expect(token.status).toBe(200);
    const { token: value } = token.json as { token: string };
    expect(value).not.toContain(accountKeys.acc_alpha);
    const feedUrl = `${base()}/v1/subscriptions/${sub.id}/feed?token=${encodeURIComponent(value)}`;
    const reading = readEvents(feedUrl, (events) => events.some((e) => e.event === 'delivery'));
    const test = await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/test`);
    expect(test.status).toBe(200);
    const events = await reading;
    const entry = JSON.parse(events.find((e) => e.event === 'delivery')?.data ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({ webhookId: (test.json as { webhookId: string }).webhookId, mode: 'test', statusCode: 200, items: 1, bodyTruncated: false });
    expect(entry.body).toBe(receiver.requests.at(-1)?.text);
    expect(JSON.stringify(events)).not.toContain(sub.secret);
    // The token opens only its own subscription's feed, and only with a valid MAC; the other account gets nothing.
    const other = await create(accountKeys.acc_beta);
    expect((await fetch(`${base()}/v1/subscriptions/${other.id}/feed?token=${encodeURIComponent(value)}`)).status).toBe(401);
    expect((await fetch(`${feedUrl.slice(0, -3)}AAA`)).status).toBe(401);
    expect((await fetch(`${base()}/v1/subscriptions/${sub.id}/feed`)).status).toBe(401);
    expect((await fetch(`${feedUrl}&key=1`)).status).toBe(400);
    expect((await h.call(app, 'POST', `/v1/subscriptions/${other.id}/feed-token`)).status).toBe(404);
    expect((await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/feed-token`, { key: accountKeys.acc_beta })).status).toBe(404);
    expect((await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/feed-token`, { key: operatorKey })).status).toBe(200);
    // Deleted since the token was issued: 404, not a stream.
    await h.call(app, 'DELETE', `/v1/subscriptions/${sub.id}`);
    expect((await fetch(feedUrl)).status).toBe(404);
  });

  it("shows the dispatcher's live deliveries, as its recorder writes them, with the body cut at 8 KiB", async () => {
    const sub = await create();
    const recorder = new DeliveryStatusRecorder(redis, `${h.prefix}fh:`, h.logger);
    const big = JSON.stringify({ data: 'x'.repeat(20_000) });
    const attempt = { at: new Date().toISOString(), statusCode: 204, latencyMs: 7, webhookId: 'msg_live1' };
    recorder.attempt(sub.id, { kind: 'delivered', attempt: { ...attempt, error: null }, items: 20, backlogSize: 0, sent: { body: big, contentType: 'application/json', items: 20 } });
    recorder.attempt(sub.id, { kind: 'failed', attempt: { ...attempt, webhookId: 'msg_live2', statusCode: 503, error: 'status 503' }, nextRetryAt: null, backlogSize: 3, sent: { body: '{}', contentType: 'application/json', items: 2 } });
    const { token } = (await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/feed-token`)).json as { token: string };
    const events = await readEvents(`${base()}/v1/subscriptions/${sub.id}/feed?token=${encodeURIComponent(token)}`, (e) => e.filter((x) => x.event === 'delivery').length >= 2);
    const entries = events.filter((e) => e.event === 'delivery').map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(entries).toMatchObject([
      { webhookId: 'msg_live1', mode: 'live', statusCode: 204, items: 20, bodyTruncated: true },
      { webhookId: 'msg_live2', mode: 'live', statusCode: 503, error: 'status 503', items: 2, body: '{}', bodyTruncated: false },
    ]);
    expect(Buffer.byteLength(String(entries[0]?.body))).toBe(maxFeedBodyBytes);
  });

  it('keeps only a bounded, recent feed per subscription and skips entries it cannot read', async () => {
    const sub = await create();
    const key = feedKey(`${h.prefix}fh:`, sub.id);
    // Entries a reader cannot use: not JSON, the wrong shape, another field.
    await redis.xadd(key, '*', 'e', 'not json');
    await redis.xadd(key, '*', 'e', JSON.stringify({ webhookId: 'x' }));
    await redis.xadd(key, '*', 'other', '{}');
    for (let i = 0; i < 3; i++) expect((await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/test`)).status).toBe(200);
    const stored = await redis.xrange(key, '-', '+');
    expect(stored).toHaveLength(6);
    expect(await redis.ttl(key)).toBeGreaterThan(0);
    expect(Math.max(...stored.map(([, fields]) => Buffer.byteLength(fields.join(''))))).toBeLessThan(maxFeedBodyBytes + 1_000);
    const { token } = (await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/feed-token`)).json as { token: string };
    const events = await readEvents(`${base()}/v1/subscriptions/${sub.id}/feed?token=${encodeURIComponent(token)}`, (e) => e.filter((x) => x.event === 'delivery').length >= 3);
    expect(events.filter((e) => e.event === 'delivery')).toHaveLength(3);
    // Trimmed to the newest 20 however many are written.
    const recorder = new DeliveryStatusRecorder(redis, `${h.prefix}fh:`, h.logger);
    const attempt = { at: new Date().toISOString(), statusCode: 200, latencyMs: 1, error: null };
    for (let i = 0; i < 25; i++) recorder.attempt(sub.id, { kind: 'delivered', attempt: { ...attempt, webhookId: `msg_${i}` }, items: 1, backlogSize: 0, sent: { body: '{}', contentType: 'application/json', items: 1 } });
    await expect.poll(async () => (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[1]?.[1] ?? '').toContain('"msg_24"');
    expect(await redis.xlen(key)).toBe(20);
  });

  it('puts no signing secret in any portal file or example', async () => {
    const sub = await create();
    const rotated = await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/rotate-secret`);
    const newSecret = (rotated.json as { signingSecret: string }).signingSecret;
    const texts = await Promise.all(['/portal/', '/portal/app.js', '/portal/api.js', '/portal/portal.css'].map(async (p) => (await fetch(`${base()}${p}`)).text()));
    texts.push((await h.call(app, 'GET', '/v1/examples?kind=gps')).text);
    for (const text of texts) {
      expect(text).not.toContain(sub.secret.slice(6));
      expect(text).not.toContain(newSecret.slice(6));
      expect(text).not.toContain(accountKeys.acc_alpha);
    }
  });
});
