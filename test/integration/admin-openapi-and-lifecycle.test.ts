import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { RedisDeliveryStatusSource } from '../../services/admin-api/redis-delivery-status-source.js';
import { attemptLogKey, deliveryStatusKey } from '../../services/shared/delivery-status-keys.js';
import { producerOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { MessageLogWriter } from '../../services/shared/message-log/message-log-writer.js';
import { topicCatalogue } from '../../schemas/topics.js';
import { SubscriptionWriter } from '../../services/shared/subscriptions/subscription-writer.js';
import type { SubscriptionState } from '../../services/shared/subscriptions/subscription-types.js';
import { challengeResponse } from '../../services/shared/webhook-signature.js';
import { AdminApiHarness, accountKeys, operatorKey } from '../helpers/admin-api-harness.js';
import { createTopicsWithLeaders } from '../helpers/create-topics.js';
import type { ApiReply } from '../helpers/admin-api-harness.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

const docId = 'https://fleethook.invalid/openapi.json';
let h: AdminApiHarness;
let app: AdminApp;
let receiver: WebhookReceiver;
let producer: Producer;
let doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
(formatsPlugin as unknown as { default: (a: Ajv2020) => void }).default(ajv);
const checked = new Set<string>();

/** The replay calls need `webhook.replays` and the telemetry topic of the subscription's kind (its retention decides the 409). */
const replayTopics = (): string[] => ['webhook.replays', 'telemetry.events'].map((t) => topicCatalogue({ prefix: h.prefix }).get(t).name);

beforeAll(async () => {
  h = await AdminApiHarness.create();
  const admin = h.kafka.admin();
  await admin.connect();
  await createTopicsWithLeaders(admin, replayTopics().map((topic) => ({
    topic, numPartitions: 1, replicationFactor: 1,
    configEntries: Object.entries(topicCatalogue().topics.find((t) => topic.endsWith(t.id))?.configs ?? {}).map(([name, value]) => ({ name, value })),
  })));
  await admin.disconnect();
  app = await h.startInstance();
  receiver = await WebhookReceiver.start();
  producer = h.kafka.producer(reliableProducerConfig);
  await producer.connect();
  const r = await h.call(app, 'GET', '/v1/openapi.json', { key: null });
  expect(r.status).toBe(200);
  doc = r.json as typeof doc;
  ajv.addSchema({ $id: docId, ...(doc as object) });
});

afterAll(async () => {
  const admin = h?.kafka.admin();
  await admin?.connect();
  await admin?.deleteTopics({ topics: replayTopics() }).catch(() => undefined);
  await admin?.disconnect();
  await receiver?.close();
  await producer?.disconnect();
  await h?.close();
});

/** Writes a state into the catalogue the way the dispatcher does (parking-io.ts `changeState`): a new record, revision + 1. */
async function putState(id: string, state: SubscriptionState): Promise<void> {
  const current = app.catalogue.get(id);
  if (current === undefined) throw new Error(`${id} is not in the catalogue`);
  const at = await new SubscriptionWriter(producerOf(producer), h.topic).put({ ...current, state, revision: current.revision + 1, updatedAt: new Date().toISOString() });
  await app.catalogue.waitForOffset(at.partition, at.offset, 15_000);
}

/** Validates a real response against the document's schema for that path, method and status. */
function conforms(template: string, method: string, reply: ApiReply): void {
  const op = doc.paths[template]?.[method.toLowerCase()];
  expect(op, `${method} ${template} is documented`).toBeDefined();
  const response = op?.responses[String(reply.status)];
  expect(response, `${method} ${template} documents status ${reply.status}`).toBeDefined();
  const schema = response?.content?.['application/json']?.schema;
  if (schema !== undefined) {
    const validate = ajv.compile(rebase(schema));
    const ok = validate(reply.json);
    expect(ok, `${method} ${template} ${reply.status}: ${ajv.errorsText(validate.errors)}\n${reply.text.slice(0, 500)}`).toBe(true);
  }
  checked.add(`${method} ${template} ${reply.status}`);
}

function rebase(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${docId}#/components/`));
}

async function call(method: string, template: string, id: string, options: Parameters<AdminApiHarness['call']>[3] = {}): Promise<ApiReply> {
  const reply = await h.call(app, method, template.replace('{id}', id), options);
  conforms(template, method, reply);
  return reply;
}

describe('admin API lifecycle, validated against its OpenAPI document', () => {
  it('every response of a full lifecycle matches the document', async () => {
    // Landmark events name the account's own landmarks.
    const landmark = (await call('POST', '/v1/landmarks', '', { body: { name: 'Yard', shape: { type: 'circle', center: { lat: 52.5, lon: 13.4 }, radiusM: 100 } } })).json as { id: string };
    const full = {
      url: receiver.url, name: 'everything', enabled: true,
      source: { kind: 'event', eventTypes: [
        { type: 'speeding', threshold: 75, units: 'mph' }, { type: 'posted_speeding', overLimitKph: 10 },
        { type: 'landmark_leave', landmarkIds: [landmark.id] }, { type: 'landmark_change' }, { type: 'idle', minutes: 3 },
      ] },
      vehicleFilter: { vehicleIds: ['veh_1'] }, contentType: 'application/json', batching: { maxItems: 20, maxWaitMs: 1000 },
      auth: { type: 'custom', tokenName: 'X-Key', tokenValue: 'secret-value', authorization: 'Fixed x' }, alertEmails: ['ops@example.com'], retryPolicy: 'pause-24h',
    };
    const created = await call('POST', '/v1/subscriptions', '', { body: full });
    expect(created.status).toBe(201);
    const { subscription, signingSecret } = created.json as { subscription: { id: string }; signingSecret: string };
    const id = subscription.id;
    expect(created.json).toMatchObject({ subscription: { state: 'pending_verification', enabled: true, auth: { tokenValue: '********', authorization: '********', tokenName: 'X-Key' } } });
    // The km/h-only field of old clients is stored and shown as threshold + units.
    expect((created.json as { subscription: { source: { eventTypes: unknown[] } } }).subscription.source.eventTypes[1]).toEqual({ type: 'posted_speeding', threshold: 10, units: 'kmh' });

    await call('POST', '/v1/subscriptions', '', { body: { url: receiver.url, name: 'sched', source: { kind: 'scheduled', cadence: { every: 'month' } }, auth: { type: 'basic', userName: 'u', password: 'p' } } });
    await call('POST', '/v1/subscriptions', '', { body: { url: receiver.url, name: 'paused at birth', enabled: false, source: { kind: 'gps' } } });
    const page1 = await call('GET', '/v1/subscriptions', '', { headers: {} });
    expect((page1.json as { data: unknown[] }).data).toHaveLength(3);
    await call('GET', '/v1/subscriptions/{id}', id);
    await call('GET', '/v1/subscriptions/{id}/status', id);
    await call('GET', '/v1/subscriptions/{id}/attempts', id);
    expect((await h.call(app, 'GET', `/v1/subscriptions/${id}/status`)).json).toMatchObject({ delivery: { totalDelivered: null, backlogSize: null } });

    receiver.behave(behaviours.status(500));
    const failed = await call('POST', '/v1/subscriptions/{id}/verify', id);
    expect(failed.json).toMatchObject({ result: { kind: 'failed', reason: 'status', statusCode: 500 } });
    receiver.behave(behaviours.custom((req) => ({ status: 200, body: JSON.stringify({ challengeResponse: challengeResponse(signingSecret, (JSON.parse(req.text) as { challenge: string }).challenge) }) })));
    const verified = await call('POST', '/v1/subscriptions/{id}/verify', id);
    expect(verified.json).toMatchObject({ result: { kind: 'verified' }, subscription: { state: 'active' } });
    receiver.behave(behaviours.ok());
    await call('POST', '/v1/subscriptions/{id}/test', id);
    // The portal's routes: the example request and the feed token (the event stream itself: admin-portal-http.test.ts).
    conforms('/v1/examples', 'GET', await h.call(app, 'GET', '/v1/examples?kind=event&eventType=speeding&contentType=application/x-www-form-urlencoded&auth=custom'));
    conforms('/v1/examples', 'GET', await h.call(app, 'GET', '/v1/examples?kind=scheduled'));
    conforms('/v1/examples', 'GET', await h.call(app, 'GET', '/v1/examples?kind=bus'));
    await call('POST', '/v1/subscriptions/{id}/feed-token', id);
    conforms('/v1/subscriptions/{id}/feed', 'GET', await h.call(app, 'GET', `/v1/subscriptions/${id}/feed?token=forged.token`, { key: null }));
    expect((await call('POST', '/v1/subscriptions/{id}/pause', id)).json).toMatchObject({ state: 'paused', enabled: false });
    expect((await call('POST', '/v1/subscriptions/{id}/verify', id)).status).toBe(409);
    // Recover needs an active subscription (the good path: recover-audited-episode.test.ts).
    expect((await call('POST', '/v1/subscriptions/{id}/recover', id)).json).toMatchObject({ code: 'conflict', field: 'state' });
    expect((await call('POST', '/v1/subscriptions/{id}/recover', 'sub_doesnotexist', { body: { episodeId: 'pke_1' } })).status).toBe(404);
    expect((await call('POST', '/v1/subscriptions/{id}/recover', id, { body: { episodeId: '' } })).json).toMatchObject({ code: 'validation_failed', field: 'episodeId' });
    expect((await call('POST', '/v1/subscriptions/{id}/resume', id)).json).toMatchObject({ state: 'active' });
    // Replays (the delivery itself: replay-window.test.ts): started, shown, cancelled; refusals.
    const replays = '/v1/subscriptions/{id}/replays';
    const replay = await call('POST', replays, id, { body: { from: new Date(Date.now() - 60_000).toISOString() } });
    expect(replay).toMatchObject({ status: 202, json: { state: 'queued' } });
    const replayPath = `/v1/subscriptions/${id}/replays/${String((replay.json as { id: string }).id)}`;
    conforms('/v1/subscriptions/{id}/replays/{replayId}', 'GET', await h.call(app, 'GET', replayPath));
    conforms('/v1/subscriptions/{id}/replays/{replayId}', 'DELETE', await h.call(app, 'DELETE', replayPath));
    conforms('/v1/subscriptions/{id}/replays/{replayId}', 'GET', await h.call(app, 'GET', `/v1/subscriptions/${id}/replays/rpl_000000000000000000000000`));
    expect((await call('POST', replays, id, { body: { from: '2000-01-01T00:00:00Z' } })).json).toMatchObject({ code: 'replay_window_expired', field: 'from' });
    expect((await call('POST', replays, id, { body: { from: new Date().toISOString(), to: '2026-01-01T00:00:00Z' } })).json).toMatchObject({ code: 'invalid_range', field: 'from' });
    expect((await call('POST', replays, id, { body: { from: 'now' } })).json).toMatchObject({ code: 'validation_failed', field: 'from' });
    await call('POST', '/v1/subscriptions/{id}/rotate-secret', id);
    const patched = await call('PATCH', '/v1/subscriptions/{id}', id, { body: { url: `${receiver.url}/v2`, vehicleFilter: null, auth: { type: 'none' } } });
    expect(patched.json).toMatchObject({ state: 'pending_verification', verifiedAt: null, vehicleFilter: null, auth: { type: 'none' }, revision: 6 });
    await call('PATCH', '/v1/subscriptions/{id}', id, { body: { batching: { maxItems: 501, maxWaitMs: 0 } } });
    await call('PATCH', '/v1/subscriptions/{id}', id, { rawBody: '{', headers: { 'content-type': 'application/json' } });
    // Reactivation applies to deactivated subscriptions only; the dispatcher deactivates (a catalogue record, as parking-io.ts writes it).
    expect((await call('POST', '/v1/subscriptions/{id}/reactivate', id)).status).toBe(409);
    await putState(id, 'deactivated');
    expect((await call('POST', '/v1/subscriptions/{id}/reactivate', id)).json).toMatchObject({ state: 'pending_verification', verifiedAt: null });
    await call('POST', '/v1/subscriptions/{id}/reactivate', id, { body: { force: true } });
    await call('POST', '/v1/subscriptions/{id}/reactivate', 'sub_doesnotexist');
    await call('POST', '/v1/subscriptions', '', { rawBody: 'x'.repeat(70_000) });
    await call('POST', '/v1/subscriptions', '', { rawBody: 'a=b', headers: { 'content-type': 'text/plain' } });
    await call('GET', '/v1/subscriptions', '', { key: null });
    expect((await call('DELETE', '/v1/subscriptions/{id}', id)).status).toBe(204);
    await call('GET', '/v1/subscriptions/{id}', id);
    await call('GET', '/healthz', '', { key: null });
    await call('GET', '/readyz', '', { key: null });
    await call('GET', '/v1/openapi.json', '', { key: null });
    await call('GET', '/metrics', '', { key: null });
    // Alert-address confirmation: bad codes and tokens are refused with the documented shapes (the good path: alert-address-confirmation.test.ts).
    const other = (await h.call(app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'alerts', source: { kind: 'gps' }, alertEmails: ['ops@example.com'] } })).json as { subscription: { id: string } };
    const forged = `${other.subscription.id}.${'A'.repeat(43)}`;
    expect((await call('POST', '/v1/subscriptions/{id}/alert-emails/confirm', other.subscription.id, { body: { token: forged } })).status).toBe(422);
    expect((await call('POST', '/v1/subscriptions/{id}/alert-emails/confirm', other.subscription.id, { body: { code: forged } })).status).toBe(400);
    conforms('/v1/alert-email-confirmations/{token}', 'GET', await h.call(app, 'GET', `/v1/alert-email-confirmations/${forged}`, { key: null }));
    const refused = await h.call(app, 'POST', `/v1/alert-email-confirmations/${forged}`, { key: null });
    expect(refused.status).toBe(404);
    conforms('/v1/alert-email-confirmations/{token}', 'POST', refused);
    // The delivery log, with one attempt written as the dispatcher writes it (the real flow: delivery-log.test.ts).
    const webhookId = 'msg_lifecycle0000000000000';
    const sent = { webhookId, subscriptionId: other.subscription.id, accountId: 'acc_alpha', contentType: 'application/json', itemCount: 1, at: new Date().toISOString(), retryCount: 0, trigger: 'dispatch' } as const;
    await new MessageLogWriter(producerOf(producer), topicCatalogue({ prefix: h.prefix }).get('webhook.messages').name).append({ ...sent, statusCode: 200, latencyMs: 3, error: null, outcome: 'delivered' }, Buffer.from('{"id":"msg_lifecycle0000000000000","data":[]}'));
    expect((await call('GET', '/v1/subscriptions/{id}/messages', other.subscription.id, { headers: {} })).json).toMatchObject({ data: [{ webhookId, status: 'delivered' }], nextCursor: null });
    for (const query of ['?since=yesterday', '?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z']) {
      conforms('/v1/subscriptions/{id}/messages', 'GET', await h.call(app, 'GET', `/v1/subscriptions/${other.subscription.id}/messages${query}`));
    }
    conforms('/v1/subscriptions/{id}/messages', 'GET', await h.call(app, 'GET', '/v1/subscriptions/sub_doesnotexist/messages'));
    for (const path of [`/v1/messages/${webhookId}`, '/v1/messages/msg_unknown', '/v1/messages/bad']) conforms('/v1/messages/{webhookId}', 'GET', await h.call(app, 'GET', path));
    // Pending verification: no resends (409); unknown: 404.
    for (const path of [`/v1/messages/${webhookId}/resend`, '/v1/messages/msg_unknown/resend']) conforms('/v1/messages/{webhookId}/resend', 'POST', await h.call(app, 'POST', path));
    // Landmarks (their rules and refusals: admin-landmarks.test.ts).
    const lm = (await call('POST', '/v1/landmarks', '', { body: { name: 'depot', shape: { type: 'circle', center: { lat: 52.5, lon: 13.4 }, radiusM: 100 } } })).json as { id: string };
    await call('GET', '/v1/landmarks', '');
    await call('GET', '/v1/landmarks/{id}', lm.id);
    await call('PATCH', '/v1/landmarks/{id}', lm.id, { body: { name: 'main depot' } });
    await call('DELETE', '/v1/landmarks/{id}', lm.id);
    // Per-vehicle subscribe/unsubscribe (rules: vehicle-filter-change.test.ts).
    const fleet = (await h.call(app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'fleet', source: { kind: 'gps' }, vehicleFilter: { vehicleIds: ['veh_1'] } } })).json as { subscription: { id: string } };
    const onVehicle = async (method: string, subId: string, vehicleId: string, options: Parameters<AdminApiHarness['call']>[3] = {}): Promise<ApiReply> => {
      const reply = await h.call(app, method, `/v1/subscriptions/${subId}/vehicles/${vehicleId}`, options);
      conforms('/v1/subscriptions/{id}/vehicles/{vehicleId}', method, reply);
      return reply;
    };
    const fleetId = fleet.subscription.id;
    const vehicleIdsOf = (r: ApiReply): unknown => (r.json as { vehicleFilter: { vehicleIds: string[] } | null }).vehicleFilter?.vehicleIds;
    expect(vehicleIdsOf(await onVehicle('PUT', fleetId, 'veh_2'))).toEqual(['veh_1', 'veh_2']);
    expect(vehicleIdsOf(await onVehicle('PUT', fleetId, 'veh_2'))).toEqual(['veh_1', 'veh_2']);
    expect((await onVehicle('PUT', fleetId, 'bad%20id')).json).toMatchObject({ code: 'validation_failed', field: 'path.vehicleId' });
    expect((await onVehicle('PUT', 'sub_doesnotexist', 'veh_1')).status).toBe(404);
    expect(vehicleIdsOf(await onVehicle('DELETE', fleetId, 'veh_1'))).toEqual(['veh_2']);
    expect((await onVehicle('DELETE', fleetId, 'veh_2')).status).toBe(409);
    expect((await onVehicle('DELETE', fleetId, 'veh_2', { key: accountKeys.acc_beta })).status).toBe(404);
    // Vehicle state: never seen is a 404 (a state read back: vehicle-state-api.test.ts).
    const unseen = await h.call(app, 'GET', '/v1/vehicles/veh_never_seen/state');
    expect(unseen.status).toBe(404);
    conforms('/v1/vehicles/{vehicleId}/state', 'GET', unseen);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const exercised = new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
    expect(documented.filter((op) => !exercised.has(op))).toEqual([]);
  });

  it('the status of a parked subscription, as the dispatcher records it in Redis, matches the document', async () => {
    const redis = new Redis(stackEnv.redisUrl);
    const prefix = `${uniqueName('oa-status')}:`;
    const withStatus = await h.startInstance({}, new RedisDeliveryStatusSource(redis, prefix, h.logger));
    try {
      const created = await h.call(withStatus, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'parked', source: { kind: 'gps' } } });
      const id = (created.json as { subscription: { id: string } }).subscription.id;
      const empty = await h.call(withStatus, 'GET', `/v1/subscriptions/${id}/status`);
      conforms('/v1/subscriptions/{id}/status', 'GET', empty);
      await putState(id, 'failing');
      await redis.hset(deliveryStatusKey(prefix, id), {
        totalMessages: '200', totalDelivered: '40', backlogSize: '160', currentTier: 'webhook.retry.35m', nextRetryAt: '2025-01-01T01:00:00.000Z',
        firstFailureAt: '2025-01-01T00:00:00.000Z', lastFailureAt: '2025-01-01T00:25:00.000Z', lastError: 'status 503', lastSuccessAt: '2024-12-31T23:59:00.000Z',
      });
      await redis.lpush(attemptLogKey(prefix, id), JSON.stringify({ at: '2025-01-01T00:25:00.000Z', statusCode: 503, latencyMs: 8, error: 'status 503', webhookId: 'msg_1' }));
      const parked = await h.call(withStatus, 'GET', `/v1/subscriptions/${id}/status`);
      conforms('/v1/subscriptions/{id}/status', 'GET', parked);
      expect(parked.json).toMatchObject({ state: 'failing', delivery: { backlogSize: 160, currentTier: 'webhook.retry.35m', firstFailureAt: '2025-01-01T00:00:00.000Z' } });
    } finally {
      await h.stopInstance(withStatus);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });

  it('pages by cursor without gaps or repeats, and the operator can page across accounts', async () => {
    for (let i = 0; i < 5; i++) {
      await h.call(app, 'POST', '/v1/subscriptions', { key: accountKeys.acc_beta, body: { url: receiver.url, name: `page ${i}`, source: { kind: 'dtc' } } });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/subscriptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page: ApiReply = await h.call(app, 'GET', path, { key: accountKeys.acc_beta });
      conforms('/v1/subscriptions', 'GET', page);
      const body = page.json as { data: { id: string }[]; nextCursor: string | null };
      expect(body.data.length).toBeLessThanOrEqual(2);
      seen.push(...body.data.map((s) => s.id));
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual(seen);
    const op = await h.call(app, 'GET', '/v1/subscriptions?limit=200', { key: operatorKey });
    expect((op.json as { data: unknown[] }).data.length).toBeGreaterThanOrEqual(7);
  });

  it('exposes request metrics by route template and status class', async () => {
    const r = await h.call(app, 'GET', '/metrics', { key: null });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/fleethook_admin_http_requests_total\{route="\/v1\/subscriptions\/:id",method="GET",status_class="2xx"\} \d+/);
    expect(r.text).toMatch(/status_class="4xx"/);
    expect(r.text).not.toMatch(/sub_[0-9a-z]{9}/);
  });
});
