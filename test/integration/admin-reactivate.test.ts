import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { producerOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { SubscriptionWriter } from '../../services/shared/subscriptions/subscription-writer.js';
import type { SubscriptionState } from '../../services/shared/subscriptions/subscription-types.js';
import { challengeResponse } from '../../services/shared/webhook-signature.js';
import { accountKeys, AdminApiHarness, operatorKey } from '../helpers/admin-api-harness.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

let h: AdminApiHarness;
let app: AdminApp;
let producer: Producer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await AdminApiHarness.create();
  app = await h.startInstance();
  producer = h.kafka.producer(reliableProducerConfig);
  await producer.connect();
  receiver = await WebhookReceiver.start(behaviours.ok());
});

afterAll(async () => {
  await receiver?.close();
  await producer?.disconnect();
  await h?.close();
});

interface View {
  readonly id: string;
  readonly state: string;
  readonly enabled: boolean;
  readonly verifiedAt: string | null;
  readonly revision: number;
}

const reactivate = (id: string, options: Parameters<AdminApiHarness['call']>[3] = {}) => h.call(app, 'POST', `/v1/subscriptions/${id}/reactivate`, options);

async function create(key: string = accountKeys.acc_alpha, url: string = receiver.url): Promise<{ id: string; secret: string }> {
  const r = await h.call(app, 'POST', '/v1/subscriptions', { key, body: { url, name: 'reactivation', source: { kind: 'gps' } } });
  expect(r.status).toBe(201);
  const body = r.json as { subscription: { id: string }; signingSecret: string };
  return { id: body.subscription.id, secret: body.signingSecret };
}

/** Verifies through the real route: the receiver answers the challenge with the secret. */
async function verify(id: string, secret: string): Promise<void> {
  receiver.behave(behaviours.custom((req) => ({ status: 200, body: JSON.stringify({ challengeResponse: challengeResponse(secret, (JSON.parse(req.text) as { challenge: string }).challenge) }) })));
  const r = await h.call(app, 'POST', `/v1/subscriptions/${id}/verify`);
  receiver.behave(behaviours.ok());
  expect(r.json).toMatchObject({ result: { kind: 'verified' }, subscription: { state: 'active' } });
}

/** Writes a state into the catalogue the way the dispatcher does (parking-io.ts `changeState`): a new record, revision + 1. */
async function putState(id: string, state: SubscriptionState): Promise<void> {
  const current = app.catalogue.get(id);
  if (current === undefined) throw new Error(`${id} is not in the catalogue`);
  const at = await new SubscriptionWriter(producerOf(producer), h.topic).put({ ...current, state, revision: current.revision + 1, updatedAt: new Date().toISOString() });
  await app.catalogue.waitForOffset(at.partition, at.offset, 15_000);
}

describe('POST /v1/subscriptions/:id/reactivate', () => {
  it('brings a deactivated, verified subscription back to active, once', async () => {
    const { id, secret } = await create();
    await verify(id, secret);
    // Live since its verification; a scheduled subscription sends nothing from before liveSince.
    const verifiedLive = Date.parse(app.catalogue.get(id)?.liveSince ?? '');
    expect(Number.isNaN(verifiedLive)).toBe(false);
    await putState(id, 'deactivated');
    const before = (await h.call(app, 'GET', `/v1/subscriptions/${id}`)).json as View;
    expect(before).toMatchObject({ state: 'deactivated', enabled: false });

    const sent = receiver.requests.length;
    const r = await reactivate(id);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id, state: 'active', enabled: true, verifiedAt: before.verifiedAt, revision: before.revision + 1 });
    expect(app.catalogue.get(id)?.state).toBe('active');
    expect(Date.parse(app.catalogue.get(id)?.liveSince ?? '')).toBeGreaterThan(verifiedLive);
    // Nothing was sent to the endpoint: the verified URL needs no new challenge.
    expect(receiver.requests).toHaveLength(sent);

    const again = await reactivate(id);
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ code: 'conflict', message: 'the subscription is active; only a deactivated subscription can be reactivated', field: 'state' });
  });

  it('sends a deactivated subscription whose URL is not verified to pending_verification', async () => {
    const { id, secret } = await create();
    await verify(id, secret);
    await putState(id, 'deactivated');
    // A new URL while deactivated: the state stays, the verification is gone (it vouched for the old URL).
    const patched = await h.call(app, 'PATCH', `/v1/subscriptions/${id}`, { body: { url: `${receiver.url}/moved` } });
    expect(patched.json).toMatchObject({ state: 'deactivated', verifiedAt: null });

    const r = await reactivate(id, { body: {} });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id, state: 'pending_verification', verifiedAt: null });

    const never = await create();
    await putState(never.id, 'deactivated');
    expect((await reactivate(never.id)).json).toMatchObject({ state: 'pending_verification' });
  });

  it('refuses every other state with a 409 naming it, and changes nothing', async () => {
    const { id } = await create();
    for (const state of ['pending_verification', 'active', 'failing', 'paused'] as const) {
      if (state !== 'pending_verification') await putState(id, state);
      const revision = app.catalogue.get(id)?.revision;
      const r = await reactivate(id);
      expect({ state, status: r.status }).toEqual({ state, status: 409 });
      expect(r.json).toEqual({ code: 'conflict', message: `the subscription is ${state}; only a deactivated subscription can be reactivated`, field: 'state' });
      expect(app.catalogue.get(id)).toMatchObject({ state, revision });
    }
  });

  it('is 404 for another account\'s subscription and for unknown ids; the operator may reactivate any', async () => {
    const { id } = await create(accountKeys.acc_beta);
    await putState(id, 'deactivated');
    const asAlpha = await reactivate(id, { key: accountKeys.acc_alpha });
    expect(asAlpha.status).toBe(404);
    expect(asAlpha.json).toMatchObject({ code: 'not_found', field: 'id' });
    expect(app.catalogue.get(id)?.state).toBe('deactivated');

    for (const unknown of ['sub_doesnotexist', 'nope', '%00']) {
      const r = await reactivate(unknown);
      expect({ unknown, status: r.status }).toEqual({ unknown, status: 404 });
      expect(r.json).toMatchObject({ code: 'not_found' });
    }

    expect((await reactivate(id, { key: operatorKey })).json).toMatchObject({ id, state: 'pending_verification' });
  });

  it('refuses bad requests like the other action routes, before looking at the state', async () => {
    const { id } = await create();
    await putState(id, 'deactivated');
    const wrongMethod = await h.call(app, 'GET', `/v1/subscriptions/${id}/reactivate`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json).toMatchObject({ code: 'method_not_allowed' });
    expect((await h.call(app, 'PUT', `/v1/subscriptions/${id}/reactivate`)).status).toBe(405);

    const cases: [string, Parameters<AdminApiHarness['call']>[3], number, string][] = [
      ['a body field', { body: { state: 'active' } }, 400, 'state'],
      ['a JSON array', { body: [] }, 400, '(body)'],
      ['a JSON string', { body: 'now' }, 400, '(body)'],
      ['invalid JSON', { rawBody: '{', headers: { 'content-type': 'application/json' } }, 400, '(body)'],
      ['a form body', { rawBody: 'force=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, '(body)'],
      ['a body over the limit', { rawBody: 'x'.repeat(70_000) }, 413, '(body)'],
    ];
    for (const [name, options, status, field] of cases) {
      const r = await reactivate(id, options);
      expect({ name, status: r.status }).toEqual({ name, status });
      expect(r.json).toMatchObject({ field });
    }
    const noKey = await reactivate(id, { key: null });
    expect(noKey.status).toBe(401);
    expect(app.catalogue.get(id)?.state).toBe('deactivated');
  });
});
