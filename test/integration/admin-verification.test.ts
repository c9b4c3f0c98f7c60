import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { challengeResponse, generateSigningSecret } from '../../services/shared/webhook-signature.js';
import { AdminApiHarness } from '../helpers/admin-api-harness.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';
import type { ReceiverBehaviour } from '../helpers/webhook-receiver.js';

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

interface Created { id: string; secret: string }
interface VerifyReply { result: { kind: string; reason?: string; statusCode: number | null; message?: string }; subscription: { state: string; verifiedAt: string | null } }

async function createFor(url: string): Promise<Created> {
  const r = await h.call(app, 'POST', '/v1/subscriptions', { body: { url, name: 'verify me', source: { kind: 'gps' } } });
  expect(r.status).toBe(201);
  const json = r.json as { subscription: { id: string }; signingSecret: string };
  return { id: json.subscription.id, secret: json.signingSecret };
}

type AnswerForm = 'json' | 'hex' | 'smartcar';

/** Answers challenges the way a correct endpoint does: our JSON form, bare hex, or Smartcar's `{"challenge": hex}`. */
function answering(secret: string, form: AnswerForm = 'json', shape: (answer: string) => string = (a) => a): ReceiverBehaviour {
  return behaviours.custom((req) => {
    const { challenge } = JSON.parse(req.text) as { challenge: string };
    const answer = shape(challengeResponse(secret, challenge));
    const body = form === 'json' ? JSON.stringify({ challengeResponse: answer }) : form === 'smartcar' ? JSON.stringify({ challenge: answer }) : answer;
    return { status: 200, body, headers: { 'content-type': form === 'hex' ? 'text/plain' : 'application/json' } };
  });
}

async function verify(id: string): Promise<VerifyReply> {
  const r = await h.call(app, 'POST', `/v1/subscriptions/${id}/verify`);
  expect(r.status).toBe(200);
  return r.json as VerifyReply;
}

describe('verification', () => {
  it('activates a subscription whose endpoint answers the signed challenge correctly', async () => {
    const sub = await createFor(receiver.url);
    receiver.behave(answering(sub.secret));
    receiver.clear();
    const reply = await verify(sub.id);
    expect(reply.result).toMatchObject({ kind: 'verified', statusCode: 200 });
    expect(reply.subscription.state).toBe('active');
    expect(reply.subscription.verifiedAt).not.toBeNull();

    const [req] = receiver.requests;
    expect(JSON.parse(req?.text ?? '')).toMatchObject({ eventName: 'verify', subscriptionId: sub.id, challenge: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(new Webhook(sub.secret).verify(req?.text ?? '', req?.headers ?? {})).toBeTruthy();
    const get = await h.call(app, 'GET', `/v1/subscriptions/${sub.id}`);
    expect(get.json).toMatchObject({ state: 'active' });
  });

  it.each<AnswerForm>(['hex', 'smartcar'])('also accepts the %s answer', async (form) => {
    const sub = await createFor(receiver.url);
    receiver.behave(answering(sub.secret, form, (a) => a.toUpperCase()));
    expect((await verify(sub.id)).result.kind).toBe('verified');
  });

  const failures: [string, () => ReceiverBehaviour, string, number | null][] = [
    ['a wrong HMAC', () => answering(generateSigningSecret()), 'wrong_value', 200],
    ['a 2xx without an answer', () => behaviours.ok('thanks'), 'wrong_value', 200],
    ['a timeout', () => behaviours.hang(), 'timeout', null],
    ['a 500', () => behaviours.status(500, 'boom'), 'status', 500],
    ['a 302 redirect', () => behaviours.redirect('http://127.0.0.1:1/elsewhere'), 'redirect', 302],
  ];
  it.each(failures)('fails with %s and says why, leaving the subscription pending', async (_what, behaviour, reason, statusCode) => {
    const sub = await createFor(receiver.url);
    receiver.behave(behaviour());
    receiver.clear();
    const reply = await verify(sub.id);
    expect(reply.result).toMatchObject({ kind: 'failed', reason, statusCode });
    expect(reply.subscription.state).toBe('pending_verification');
    expect(receiver.requests).toHaveLength(1);
  });

  const malformed: [string, (secret: string) => ReceiverBehaviour, string][] = [
    ['junk after the hex', (secret) => answering(secret, 'hex', (a) => `${a} thanks`), 'neither 64 hex characters nor JSON'],
    ['a hex answer one character short', (secret) => answering(secret, 'smartcar', (a) => a.slice(1)), '"challenge" is not 64 hex characters'],
    ['a number for the answer', () => behaviours.custom(() => ({ status: 200, body: '{"challenge": 12345}', headers: { 'content-type': 'application/json' } })), '"challenge" is a number, not a string'],
    ['a correct answer followed by 64 KiB', (secret) => answering(secret, 'hex', (a) => a + ' '.repeat(64 * 1024)), 'longer than the 4 KiB read'],
  ];
  it.each(malformed)('refuses %s with the reason', async (_what, behaviour, why) => {
    const sub = await createFor(receiver.url);
    receiver.behave(behaviour(sub.secret));
    const reply = await verify(sub.id);
    expect(reply.result).toMatchObject({ kind: 'failed', reason: 'wrong_value', statusCode: 200, message: expect.stringContaining(why) });
    expect(reply.subscription.state).toBe('pending_verification');
  });

  it('fails with connection_refused when nothing listens', async () => {
    const port = await freePort();
    const sub = await createFor(`http://127.0.0.1:${port}/hook`);
    const reply = await verify(sub.id);
    expect(reply.result).toMatchObject({ kind: 'failed', reason: 'connection_refused', statusCode: null });
  });

  it('re-checks the address when connecting: an instance without the loopback allow-list refuses', async () => {
    const sub = await createFor(receiver.url);
    receiver.behave(answering(sub.secret));
    receiver.clear();
    const strict = await h.startInstance({ FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '' });
    const r = await h.call(strict, 'POST', `/v1/subscriptions/${sub.id}/verify`);
    expect(r.json).toMatchObject({ result: { kind: 'failed', reason: 'blocked' } });
    expect(receiver.requests).toHaveLength(0);
    const created = await h.call(strict, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'x', source: { kind: 'gps' } } });
    expect(created.status).toBe(422);
    expect(created.json).toMatchObject({ code: 'url_not_allowed', field: 'url', message: expect.stringContaining('loopback') });
    await h.stopInstance(strict);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
