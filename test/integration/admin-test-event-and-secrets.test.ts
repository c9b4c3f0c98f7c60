import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { AdminApiHarness, operatorKey } from '../helpers/admin-api-harness.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

let h: AdminApiHarness;
let app: AdminApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  app = await h.startInstance();
  receiver = await WebhookReceiver.start();
});

afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

interface TestReply { webhookId: string; delivered: boolean; statusCode: number | null; latencyMs: number; error: string | null }

const secrets = {
  password: 'pw-Plaintext-Marker-1',
  token: 'tok-Plaintext-Marker-2',
  fixed: 'Fixed-Plaintext-Marker-3',
};

async function create(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const r = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'test events', source: { kind: 'gps' }, ...body } });
  expect(r.status).toBe(201);
  const json = r.json as { subscription: { id: string }; signingSecret: string };
  return { id: json.subscription.id, secret: json.signingSecret };
}

async function sendTest(id: string): Promise<TestReply> {
  const r = await h.call(app, 'POST', `/v1/subscriptions/${id}/test`);
  expect(r.status).toBe(200);
  return r.json as TestReply;
}

describe('test events', () => {
  it('sends one signed test event with the subscription\'s basic auth and reports status and latency', async () => {
    const sub = await create({ auth: { type: 'basic', userName: 'fleet', password: secrets.password } });
    receiver.behave(behaviours.ok());
    receiver.clear();
    const reply = await sendTest(sub.id);
    expect(reply).toMatchObject({ delivered: true, statusCode: 200, error: null, webhookId: expect.stringMatching(/^msg_/) });
    expect(reply.latencyMs).toBeGreaterThanOrEqual(0);
    const [req] = receiver.requests;
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from(`fleet:${secrets.password}`).toString('base64')}`);
    expect(req?.headers['webhook-id']).toBe(reply.webhookId);
    expect(req?.headers['content-type']).toBe('application/json');
    const payload = new Webhook(sub.secret).verify(req?.text ?? '', req?.headers ?? {});
    expect(payload).toMatchObject({ id: reply.webhookId, type: 'gps', mode: 'test', subscriptionId: sub.id, accountId: 'acc_alpha', data: [expect.any(Object)] });
  });

  it('sends the live format of each kind: eventName, version and times in the head, the topic\'s field names in the item', async () => {
    receiver.behave(behaviours.ok());
    const kinds = [
      { source: { kind: 'gps' }, eventName: 'gps', item: ['lat', 'lon', 'speedKmh', 'headingDeg', 'odometerKm', 'ignition'] },
      { source: { kind: 'dtc' }, eventName: 'dtc', item: ['code', 'source', 'status'] },
      { source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 75, units: 'mph' }] }, eventName: 'eventBased', item: ['type', 'speedKmh', 'speedLimitKmh'] },
    ];
    for (const k of kinds) {
      const sub = await create({ source: k.source });
      receiver.clear();
      await sendTest(sub.id);
      const body = JSON.parse(receiver.requests[0]?.text ?? '{}') as Record<string, unknown> & { data: Record<string, unknown>[] };
      expect(Object.keys(body)).toEqual(['id', 'type', 'eventName', 'version', 'mode', 'accountId', 'subscriptionId', 'createdAt', 'enqueueTime', 'requestTime', 'retryCount', 'queueDepth', 'data']);
      expect(body).toMatchObject({ type: k.source.kind, eventName: k.eventName, version: 1, mode: 'test', retryCount: 0, queueDepth: 0 });
      expect(Date.parse(String(body.requestTime))).toBe(Date.parse(String(body.createdAt)));
      expect(Object.keys(body.data[0] ?? {})).toEqual(expect.arrayContaining(['vehicleId', 'accountId', 'time', ...k.item]));
      expect(body.data[0]).not.toHaveProperty('speedKph');
    }
  });

  it('sends a scheduled subscription its slot format: one sample vehicle with the chosen fields and units; bad options are refused by field', async () => {
    const sub = await create({ source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 5 }, fields: ['speed', 'odometer'], units: 'imperial' } });
    receiver.behave(behaviours.ok());
    receiver.clear();
    expect(await sendTest(sub.id)).toMatchObject({ delivered: true, statusCode: 200 });
    const body = JSON.parse(receiver.requests[0]?.text ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'scheduled', eventName: 'scheduled', mode: 'test', version: 1, data: [{ vehicleId: 'veh_test', accountId: 'acc_alpha', speedMph: expect.any(Number), odometerMi: expect.any(Number) }] });
    expect(Object.keys((body.data as Record<string, unknown>[])[0] ?? {})).toEqual(['vehicleId', 'accountId', 'mode', 'time', 'speedMph', 'odometerMi']);
    const bad = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'bad', source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 60 }, fields: ['speed', 'fuel'], units: 'si', maxRequestBytes: 2_000_000 } } });
    expect(bad.status).toBe(400);
    const fields = ((bad.json as { issues?: { field: string }[] }).issues ?? []).map((i) => i.field).sort();
    expect(fields).toEqual(['source.cadence.minutes', 'source.fields[1]', 'source.maxRequestBytes', 'source.units']);
    // maxRequestBytes: 1 KiB to 1 MiB, an integer; 1 MiB by default.
    for (const maxRequestBytes of [1_048_577, 1_023, 0, -1, 4_096.5, '1MiB', null]) {
      const r = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'bad cap', source: { kind: 'scheduled', cadence: { every: 'hour' }, maxRequestBytes } } });
      expect(r.status, String(maxRequestBytes)).toBe(400);
      expect(((r.json as { issues?: { field: string }[] }).issues ?? []).map((i) => i.field), String(maxRequestBytes)).toEqual(['source.maxRequestBytes']);
    }
    const capped = await create({ source: { kind: 'scheduled', cadence: { every: 'hour' } } });
    expect((await h.call(app, 'GET', `/v1/subscriptions/${capped.id}`)).json).toMatchObject({ source: { maxRequestBytes: 1_048_576 } });
  });

  it('reports a failing endpoint without changing the subscription', async () => {
    const sub = await create({});
    receiver.behave(behaviours.status(503, 'down'));
    expect(await sendTest(sub.id)).toMatchObject({ delivered: false, statusCode: 503, error: 'status 503' });
    receiver.behave(behaviours.hang());
    expect(await sendTest(sub.id)).toMatchObject({ delivered: false, statusCode: null, error: 'timeout' });
    const get = await h.call(app, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(get.json).toMatchObject({ state: 'pending_verification', revision: 1 });
  });

  it('sends the custom header, a fixed Authorization value and form encoding', async () => {
    const sub = await create({
      contentType: 'application/x-www-form-urlencoded',
      auth: { type: 'custom', tokenName: 'X-Fleet-Token', tokenValue: secrets.token, authorization: secrets.fixed },
    });
    receiver.behave(behaviours.ok());
    receiver.clear();
    await sendTest(sub.id);
    const [req] = receiver.requests;
    expect(req?.headers['x-fleet-token']).toBe(secrets.token);
    expect(req?.headers.authorization).toBe(secrets.fixed);
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req?.text);
    expect(form.get('mode')).toBe('test');
    expect(form.get('eventName')).toBe('gps');
    expect(form.get('version')).toBe('1');
    expect(JSON.parse(form.get('data') ?? '[]')).toHaveLength(1);
    expect(() => new Webhook(sub.secret).verify(req?.text ?? '', req?.headers ?? {}, { jsonParse: false })).not.toThrow();
  });

  it('signs with both secrets during the rotation grace period', async () => {
    const sub = await create({ auth: { type: 'apikey', tokenValue: secrets.token } });
    const rotated = await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const newSecret = (rotated.json as { signingSecret: string }).signingSecret;
    expect(newSecret).not.toBe(sub.secret);
    expect(rotated.json).toMatchObject({ subscription: { signing: { current: `****whsec_…${newSecret.slice(-4)}`, previous: `****whsec_…${sub.secret.slice(-4)}` } } });
    receiver.behave(behaviours.ok());
    receiver.clear();
    await sendTest(sub.id);
    const [req] = receiver.requests;
    expect(req?.headers.apikey).toBe(secrets.token);
    expect(req?.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(req?.text ?? '', req?.headers ?? {})).toBeTruthy();
    expect(new Webhook(sub.secret).verify(req?.text ?? '', req?.headers ?? {})).toBeTruthy();
  });
});

describe('secrets at rest and in responses', () => {
  it('never puts a plaintext secret in the topic, a GET response or a log line', async () => {
    const created = [
      await create({ auth: { type: 'basic', userName: 'u', password: secrets.password } }),
      await create({ auth: { type: 'bearer', tokenValue: secrets.token } }),
      await create({ auth: { type: 'none', authorization: secrets.fixed } }),
    ];
    const rotated = await h.call(app, 'POST', `/v1/subscriptions/${created[0]?.id}/rotate-secret`);
    const all = [...Object.values(secrets), ...created.map((c) => c.secret), (rotated.json as { signingSecret: string }).signingSecret];
    // Also the secrets' base64 key parts, in case a secret were stored without its prefix.
    const needles = [...all, ...all.filter((s) => s.startsWith('whsec_')).map((s) => s.slice(6))];

    const values = await h.rawTopicBytes(await h.topicMessageCount());
    expect(values.length).toBeGreaterThanOrEqual(4);
    const raw = Buffer.concat(values).toString('latin1');
    for (const n of needles) expect(raw).not.toContain(n);
    expect(raw).toContain('fhenc.v1.k2.');

    const list = await h.call(app, 'GET', '/v1/subscriptions?limit=200', { key: operatorKey });
    for (const n of needles) expect(list.text).not.toContain(n);
    expect(list.text).toContain('********');
    const logs = h.logLines.join('\n');
    for (const n of needles) expect(logs).not.toContain(n);
  });

  it('rejects masked values sent back in a PATCH instead of storing them', async () => {
    const sub = await create({ auth: { type: 'bearer', tokenValue: secrets.token } });
    const get = await h.call(app, 'GET', `/v1/subscriptions/${sub.id}`);
    const masked = (get.json as { auth: unknown }).auth;
    const r = await h.call(app, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { auth: masked } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ field: 'auth.tokenValue' });
  });
});
