import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminApp } from '../../services/admin-api/admin-app.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadConfig as loadAdminConfig } from '../../services/admin-api/config.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { wipeRedis } from '../helpers/wipe-redis.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

const alphaKey = 'alpha-key-0123456789abcdef';
const betaKey = 'beta-key-0123456789abcdef0';

interface Summary { webhookId: string; itemCount: number; attemptCount: number; status: string; lastStatusCode: number | null; createdAt: string }
interface Page { data: Summary[]; nextCursor: string | null }
interface Attempt { statusCode: number | null; outcome: string; trigger: string; retryCount: number; error: string | null }
interface Message extends Summary { body: string; contentType: string; attempts: Attempt[] }
interface Reply { status: number; json: unknown }


describe('delivery log (webhook.messages) on the real stack', () => {
  let h: DispatcherHarness;
  let receiver: WebhookReceiver;
  let admin: AdminApp;
  let sub: Subscription;
  const admins: AdminApp[] = [];

  const startAdmin = async (overrides: Record<string, string> = {}): Promise<AdminApp> => {
    const config = loadAdminConfig({
      ...h.env, FLEETHOOK_ADMIN_HOST: '127.0.0.1', FLEETHOOK_ADMIN_PORT: '0', FLEETHOOK_ADMIN_ALLOW_HTTP: 'true',
      FLEETHOOK_ADMIN_ACCOUNT_KEYS: `acc_alpha:${alphaKey},acc_beta:${betaKey}`, FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '127.0.0.0/8', FLEETHOOK_ADMIN_ALLOWED_PORTS: '1-65535',
      ...overrides,
    });
    const app = await startAdminApp({ config, kafka: kafkaClientOf(h.kafka), logger: createLogger('admin-api', { level: 'error', write: (l) => h.logLines.push(l) }) });
    admins.push(app);
    return app;
  };
  const call = async (app: AdminApp, method: string, path: string, key = alphaKey): Promise<Reply> => {
    const res = await fetch(`http://127.0.0.1:${app.port}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  const listAll = async (app: AdminApp, query: string): Promise<Summary[]> => {
    const out: Summary[] = [];
    let cursor: string | null = null;
    do {
      const r = await call(app, 'GET', `/v1/subscriptions/${sub.id}/messages?${query}${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const page = r.json as Page;
      out.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  };
  const delivered = (): RecordedRequest[] => receiver.requests.filter((r) => r.headers['webhook-resend'] === undefined);
  /** Every attempt the receiver got (a failed one too), resends aside. */
  const itemsAtReceiver = (): number => delivered().reduce((n, r) => n + (JSON.parse(r.text) as { data: unknown[] }).data.length, 0);

  beforeAll(async () => {
    h = await DispatcherHarness.create();
    receiver = await WebhookReceiver.start(behaviours.ok());
    await h.startInProcess();
    admin = await startAdmin();
    sub = await h.subscribe({ url: receiver.url, batching: { maxItems: 3, maxWaitMs: 100 } });
  });

  afterAll(async () => {
    await Promise.all(admins.map((a) => a.close()));
    await receiver?.close();
    await h?.close();
  });

  it('logs every request with its exact body and attempts; after a Redis wipe a fresh admin API lists it all, paged, and reads bodies back from Kafka', async () => {
    await h.publish({ gps: [1, 2, 3, 4, 5, 6, 7].map((seq) => gpsPoint('veh_log1', seq)) });
    await waitFor(() => itemsAtReceiver() === 7, { timeoutMs: 30_000, what: '7 items at the receiver' });
    // One failed attempt then a 2xx: both attempts are logged, the body shown is the delivered one.
    let failures = 0;
    receiver.behave(behaviours.custom(() => (failures++ === 0 ? { status: 503 } : { status: 200 })));
    await h.publish({ gps: [gpsPoint('veh_log1', 8)] });
    // Both attempts reach the receiver: 7 + 1 + 1 items.
    await waitFor(() => itemsAtReceiver() === 9, { timeoutMs: 30_000, what: 'the retried request' });
    receiver.behave(behaviours.ok());

    expect(await wipeRedis(h.env.FLEETHOOK_REDIS_KEY_PREFIX as string)).toBeGreaterThan(0);
    // A fresh instance after the wipe, holding no body in memory: every body is read back from the topic.
    const fresh = await startAdmin({ FLEETHOOK_ADMIN_MESSAGE_LOG_BODY_CACHE_BYTES: '0' });
    const listed = await listAll(fresh, 'limit=2');
    const sentIds = [...new Set(delivered().map((r) => r.headers['webhook-id']))];
    expect(listed.map((m) => m.webhookId).sort()).toEqual([...sentIds].sort());
    expect(listed.reduce((n, m) => n + m.itemCount, 0)).toBe(8);
    expect(listed.length).toBe(sentIds.length);
    expect(listed.every((m) => m.status === 'delivered' && m.lastStatusCode === 200)).toBe(true);
    // Newest first.
    expect(listed.map((m) => m.createdAt)).toEqual([...listed.map((m) => m.createdAt)].sort().reverse());

    const retried = listed.find((m) => m.attemptCount === 2);
    expect(retried, JSON.stringify(listed)).toBeDefined();
    const detail = (await call(fresh, 'GET', `/v1/messages/${retried?.webhookId}`)).json as Message;
    expect(detail.attempts.map((a) => [a.statusCode, a.outcome, a.retryCount, a.trigger])).toEqual([[503, 'failed', 0, 'dispatch'], [200, 'delivered', 1, 'dispatch']]);
    const deliveredCopy = delivered().filter((r) => r.headers['webhook-id'] === retried?.webhookId).at(-1);
    expect(Buffer.from(detail.body, 'utf8').equals(deliveredCopy?.body ?? Buffer.alloc(0))).toBe(true);

    // Every other body, from the first instance's memory, byte for byte as the receiver got it.
    for (const r of delivered().filter((x) => x.headers['webhook-id'] !== retried?.webhookId)) {
      const m = (await call(admin, 'GET', `/v1/messages/${r.headers['webhook-id']}`)).json as Message;
      expect(Buffer.from(m.body, 'utf8').equals(r.body)).toBe(true);
      expect(m.contentType).toBe('application/json');
    }
    expect((await call(admin, 'GET', `/v1/subscriptions/${sub.id}/messages?status=failed`)).json).toMatchObject({ data: [], nextCursor: null });
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await call(admin, 'GET', `/v1/subscriptions/${sub.id}/messages?since=${future}`)).json).toMatchObject({ data: [] });
  });

  it('resends a body identical to the original, validly signed and marked, and logs the resend', async () => {
    const original = delivered()[0] as RecordedRequest;
    const webhookId = original.headers['webhook-id'] as string;
    const before = receiver.requests.length;
    const r = await call(admin, 'POST', `/v1/messages/${webhookId}/resend`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ webhookId, delivered: true, statusCode: 200, error: null });
    const [again] = (await receiver.waitForRequests(before + 1)).slice(before);
    expect(again?.headers['webhook-resend']).toBe('true');
    expect(again?.headers['webhook-id']).toBe(webhookId);
    expect(again?.body.equals(original.body)).toBe(true);
    expect(() => new Webhook(sub.signing.current).verify(again?.body ?? '', again?.headers ?? {})).not.toThrow();

    const m = (await call(admin, 'GET', `/v1/messages/${webhookId}`)).json as Message;
    expect(m.attempts.map((a) => a.trigger)).toEqual(['dispatch', 'resend']);
    expect(m.status).toBe('delivered');
    expect(Buffer.from(m.body, 'utf8').equals(original.body)).toBe(true);
  });

  it('shows and resends nothing to another account (404), and names the field of every bad input', async () => {
    const webhookId = delivered()[0]?.headers['webhook-id'] as string;
    const before = receiver.requests.length;
    for (const [method, path] of [['GET', `/v1/subscriptions/${sub.id}/messages`], ['GET', `/v1/messages/${webhookId}`], ['POST', `/v1/messages/${webhookId}/resend`]] as const) {
      const r = await call(admin, method, path, betaKey);
      expect(r.status, path).toBe(404);
    }
    expect(receiver.requests.length).toBe(before);

    const bad = async (path: string, status: number, field: string): Promise<void> => {
      const r = await call(admin, 'GET', path);
      expect(r.status, path).toBe(status);
      expect((r.json as { field: string }).field, path).toBe(field);
    };
    const list = `/v1/subscriptions/${sub.id}/messages`;
    await bad(`${list}?cursor=not!base64`, 400, 'query.cursor');
    await bad(`${list}?cursor=bm90LWEtY3Vyc29y`, 422, 'query.cursor');
    const page = (await call(admin, 'GET', `${list}?limit=1`)).json as Page;
    const other = await h.subscribe({ url: receiver.url });
    const r = await call(admin, 'GET', `/v1/subscriptions/${other.id}/messages?cursor=${page.nextCursor}`);
    expect([r.status, (r.json as { field: string }).field]).toEqual([422, 'query.cursor']);
    await bad(`${list}?since=yesterday`, 400, 'query.since');
    await bad(`${list}?until=2026-13-01T00:00:00Z`, 400, 'query.until');
    await bad(`${list}?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z`, 422, 'query.until');
    await bad(`${list}?status=lost`, 400, 'query.status');
    await bad(`${list}?limit=0`, 400, 'query.limit');
    await bad(`${list}?page=2`, 400, 'query.page');
    await bad('/v1/messages/msg_unknown0000', 404, 'webhookId');
    await bad('/v1/messages/nope', 400, 'webhookId');
    const resend = await call(admin, 'POST', '/v1/messages/msg_unknown0000/resend');
    expect([resend.status, (resend.json as { field: string }).field]).toEqual([404, 'webhookId']);
  });
});
