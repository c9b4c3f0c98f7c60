import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFailureEvent } from '../../schemas/failure-event.js';
import type { FailureEvent } from '../../schemas/failure-event.js';
import { topicCatalogue } from '../../schemas/topics.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { challengeResponse, generateSigningSecret } from '../../services/shared/webhook-signature.js';
import { AdminApiHarness, accountKeys, operatorKey } from '../helpers/admin-api-harness.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';
import type { ReceiverBehaviour } from '../helpers/webhook-receiver.js';

interface Created { id: string; secret: string }
interface VerifyReply { result: { kind: string; reason?: string; statusCode: number | null; message?: string }; subscription: { state: string } }

/** The test's own `webhook.failures` (same prefix as the harness's subscriptions topic). */
async function createFailuresTopic(h: AdminApiHarness): Promise<string> {
  const spec = topicCatalogue({ prefix: h.prefix, partitions: { webhook: 3 } }).get('webhook.failures');
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    await waitFor(async () => {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: spec.name, numPartitions: spec.partitions, replicationFactor: 1, configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })) }],
      });
      await admin.fetchTopicOffsets(spec.name);
      return true;
    }, { timeoutMs: 30_000, intervalMs: 500, what: `topic ${spec.name} with leaders` });
  } finally {
    await admin.disconnect();
  }
  return spec.name;
}

async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

async function eventsFor(kafka: Kafka, topic: string, subscriptionId: string): Promise<FailureEvent[]> {
  return (await readTopic(kafka, topic)).filter((r) => r.key === subscriptionId).map((r) => {
    const d = decodeFailureEvent(r.value);
    if (d.kind !== 'ok') throw new Error(`bad failure event on ${topic}: ${d.reason}`);
    return d.event;
  });
}

/** Answers challenges the way a correct endpoint does. */
function answering(secret: string): ReceiverBehaviour {
  return behaviours.custom((req) => {
    const { challenge } = JSON.parse(req.text) as { challenge: string };
    return { status: 200, body: JSON.stringify({ challengeResponse: challengeResponse(secret, challenge) }), headers: { 'content-type': 'application/json' } };
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function writesCounted(h: AdminApiHarness, app: AdminApp, outcome: string): Promise<number> {
  const text = (await h.call(app, 'GET', '/metrics', { key: null })).text;
  const m = new RegExp(`^fleethook_admin_failure_event_writes_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? NaN);
}

describe('a failed verification writes one verification_failed event to webhook.failures', () => {
  let h: AdminApiHarness;
  let app: AdminApp;
  let receiver: WebhookReceiver;
  let failuresTopic: string;
  const token = `qtoken${randomBytes(6).toString('hex')}`;
  /** Failed verifications so far in this describe (each should be one written event). */
  let failedVerifications = 0;

  beforeAll(async () => {
    h = await AdminApiHarness.create();
    failuresTopic = await createFailuresTopic(h);
    app = await h.startInstance();
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    await receiver?.close();
    await h?.close();
    if (failuresTopic) await deleteTopic(h.kafka, failuresTopic);
  });

  /** A URL with a secret-looking query value, which the event must mask. */
  async function createFor(url: string, name = 'verify events'): Promise<Created> {
    const r = await h.call(app, 'POST', '/v1/subscriptions', {
      body: { url: `${url}?token=${token}&site=7`, name, source: { kind: 'gps' }, alertEmails: ['ops@example.test', 'oncall@example.test'] },
    });
    expect(r.status).toBe(201);
    const json = r.json as { subscription: { id: string }; signingSecret: string };
    return { id: json.subscription.id, secret: json.signingSecret };
  }

  async function verify(id: string, key: string = accountKeys.acc_alpha): Promise<VerifyReply> {
    const r = await h.call(app, 'POST', `/v1/subscriptions/${id}/verify`, { key });
    expect(r.status).toBe(200);
    const reply = r.json as VerifyReply;
    if (reply.result.kind === 'failed') failedVerifications += 1;
    return reply;
  }

  const failures: [string, () => ReceiverBehaviour, string, number | null][] = [
    ['a wrong HMAC', () => answering(generateSigningSecret()), 'wrong_value', 200],
    ['a 500', () => behaviours.status(500, 'boom'), 'status', 500],
    ['a redirect to a URL with credentials', () => behaviours.redirect('http://leakuser:leakpass@127.0.0.1:1/elsewhere?token=leaktoken'), 'redirect', 302],
  ];
  it.each(failures)('%s → one event with reason %s, the status code and a URL without credentials', async (_what, behaviour, reason, statusCode) => {
    const sub = await createFor(receiver.url);
    receiver.behave(behaviour());
    const reply = await verify(sub.id);
    expect(reply.result).toMatchObject({ kind: 'failed', reason, statusCode });

    const events = await eventsFor(h.kafka, failuresTopic, sub.id);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      kind: 'verification_failed', subscriptionId: sub.id, accountId: 'acc_alpha', subscriptionName: 'verify events',
      url: `${receiver.url}?token=***&site=7`, alertEmails: ['ops@example.test', 'oncall@example.test'], retryPolicy: 'standard-7d',
      lastStatusCode: statusCode, firstFailureAt: null, nextRetryAt: null, backlogSize: null, retryCount: 0, discarded: null,
    });
    expect(event?.lastError).toBe(`${reason}: ${reply.result.message ?? ''}`);
    const raw = JSON.stringify(event);
    for (const secret of [token, 'leakuser', 'leakpass', 'leaktoken', sub.secret]) expect(raw).not.toContain(secret);
  });

  it('a refused connection → one event with reason connection_refused and no status code', async () => {
    const port = await freePort();
    const sub = await createFor(`http://127.0.0.1:${port}/hook`);
    expect((await verify(sub.id)).result).toMatchObject({ kind: 'failed', reason: 'connection_refused', statusCode: null });
    const events = await eventsFor(h.kafka, failuresTopic, sub.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'verification_failed', lastStatusCode: null, url: `http://127.0.0.1:${port}/hook?token=***&site=7` });
    expect(events[0]?.lastError).toMatch(/^connection_refused: /);
  });

  it('a successful verification writes no event', async () => {
    const sub = await createFor(receiver.url);
    receiver.behave(answering(sub.secret));
    expect((await verify(sub.id)).result.kind).toBe('verified');
    expect(await eventsFor(h.kafka, failuresTopic, sub.id)).toEqual([]);
  });

  it('tenancy is unchanged: another account cannot trigger an event; the operator\'s verify names the owning account', async () => {
    const sub = await createFor(receiver.url);
    receiver.behave(behaviours.status(503));
    const foreign = await h.call(app, 'POST', `/v1/subscriptions/${sub.id}/verify`, { key: accountKeys.acc_beta });
    expect(foreign.status).toBe(404);
    expect(await eventsFor(h.kafka, failuresTopic, sub.id)).toEqual([]);

    expect((await verify(sub.id, operatorKey)).result).toMatchObject({ kind: 'failed', reason: 'status', statusCode: 503 });
    const events = await eventsFor(h.kafka, failuresTopic, sub.id);
    expect(events.map((e) => [e.kind, e.accountId])).toEqual([['verification_failed', 'acc_alpha']]);
  });

  it('counts the writes in fleethook_admin_failure_event_writes_total', async () => {
    expect(failedVerifications).toBeGreaterThan(0);
    expect(await writesCounted(h, app, 'written')).toBe(failedVerifications);
    expect(await writesCounted(h, app, 'timed_out')).toBe(0);
    expect(await writesCounted(h, app, 'failed')).toBe(0);
  });
});

describe('a failure-event write that cannot complete does not hold up or fail the verify call', () => {
  it('answers the verification result within the write timeout and counts the write as not confirmed', async () => {
    // No webhook.failures topic for this prefix: the producer cannot write (kafkajs gives up after ~6 s).
    const h = await AdminApiHarness.create({ FLEETHOOK_ADMIN_FAILURE_EVENT_TIMEOUT_MS: '500' }, { failuresTopic: false });
    const receiver = await WebhookReceiver.start(behaviours.status(500));
    try {
      const app = await h.startInstance();
      const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'no topic', source: { kind: 'gps' } } });
      const id = (created.json as { subscription: { id: string } }).subscription.id;
      const started = performance.now();
      const r = await h.call(app, 'POST', `/v1/subscriptions/${id}/verify`);
      const elapsedMs = performance.now() - started;
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ result: { kind: 'failed', reason: 'status', statusCode: 500 }, subscription: { state: 'pending_verification' } });
      expect(elapsedMs).toBeLessThan(3_000);
      expect(await writesCounted(h, app, 'timed_out') + await writesCounted(h, app, 'failed')).toBe(1);
      expect(await writesCounted(h, app, 'written')).toBe(0);
      expect(h.logLines.some((l) => l.includes('verification-failure event') && l.includes(id))).toBe(true);
    } finally {
      await receiver.close();
      await h.close();
    }
  });
});
