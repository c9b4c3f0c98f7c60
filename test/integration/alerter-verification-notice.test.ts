import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicCatalogue } from '../../schemas/topics.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { startAlerterApp } from '../../services/alerter/alerter-app.js';
import type { AlerterApp } from '../../services/alerter/alerter-app.js';
import { loadConfig } from '../../services/alerter/config.js';
import { createSmtpMailer } from '../../services/alerter/smtp-mailer.js';
import { createLogger } from '../../services/shared/logger.js';
import { AdminApiHarness } from '../helpers/admin-api-harness.js';
import { confirmThroughLink, confirmationMailTo, isConfirmationMail } from '../helpers/alert-confirmation-mail.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';
import { stackEnv } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';

const sink = new SmtpSinkClient();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The admin API and the alerter share one topic prefix, so a failed `POST …/verify`
 * travels admin API → webhook.failures → alerter → the real SMTP sink.
 */
describe('a failed verification reaches the subscription\'s alert addresses as a verification-failure e-mail', () => {
  let h: AdminApiHarness;
  let app: AdminApp;
  let alerter: AlerterApp | undefined;
  let receiver: WebhookReceiver;
  let failuresTopic = '';
  const alerterLog: string[] = [];

  beforeAll(async () => {
    h = await AdminApiHarness.create();
    const failures = topicCatalogue({ prefix: h.prefix, partitions: { webhook: 3 } }).get('webhook.failures');
    failuresTopic = failures.name;
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      await waitFor(async () => {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic: failures.name, numPartitions: failures.partitions, replicationFactor: 1, configEntries: Object.entries(failures.configs).map(([name, value]) => ({ name, value })) }],
        });
        await admin.fetchTopicOffsets(failures.name);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 500, what: `topic ${failures.name} with leaders` });
    } finally {
      await admin.disconnect();
    }
    const config = loadConfig({
      FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
      FLEETHOOK_REDIS_KEY_PREFIX: `${h.prefix}fh:`,
      FLEETHOOK_TOPIC_PREFIX: h.prefix,
      FLEETHOOK_ALERTER_GROUP_ID: `${h.prefix}alerter`,
      FLEETHOOK_ALERTER_HOST: '127.0.0.1',
      FLEETHOOK_ALERTER_PORT: '0',
      FLEETHOOK_ALERTER_SMTP_PORT: '11025',
      FLEETHOOK_ALERTER_SMTP_CONNECTION_TIMEOUT_MS: '2000',
      FLEETHOOK_ALERTER_SMTP_SOCKET_TIMEOUT_MS: '5000',
      FLEETHOOK_ALERTER_CLAIM_TTL_MS: '10000',
      FLEETHOOK_ALERTER_RETRY_MIN_MS: '200',
      FLEETHOOK_ALERTER_RETRY_MAX_MS: '1000',
      FLEETHOOK_ALERTER_SESSION_TIMEOUT_MS: '8000',
      FLEETHOOK_ALERTER_SHUTDOWN_GRACE_MS: '1000',
      FLEETHOOK_ALERTER_LOG_LEVEL: 'warn',
    });
    const logger = createLogger('alerter', { level: config.logLevel, write: (l) => alerterLog.push(l) });
    alerter = await startAlerterApp({ config, kafka: kafkaClientOf(h.kafka), mailer: createSmtpMailer(config.smtp), logger });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${alerter?.port}/readyz`)).status === 200, { timeoutMs: 30_000, intervalMs: 200, what: 'the alerter to join its group' });
    app = await h.startInstance();
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    if (process.env.DEBUG_ALERTER) console.log([...h.logLines, ...alerterLog].join('\n'));
    await alerter?.close();
    await receiver?.close();
    if (h === undefined) return;
    await h.close();
    const admin = h.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [failuresTopic] }).catch(() => undefined);
    await admin.deleteGroups([`${h.prefix}alerter`, `${h.prefix}alerter-confirmations`]).catch(() => undefined);
    await admin.disconnect();
    const redis = new Redis(stackEnv.redisUrl);
    const keys = await redis.keys(`${h.prefix}fh:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('an endpoint answering 500 to the challenge → one verification-failure e-mail to each alert address, naming the reason, without secrets', async () => {
    const address = (local: string): string => `${local}-${h.prefix.slice(0, -1)}@example.test`;
    const owners = [address('verify-owner1'), address('verify-owner2')];
    const token = `vtoken${randomBytes(6).toString('hex')}`;
    receiver.behave(behaviours.status(500, 'not ready'));
    const created = await h.call(app, 'POST', '/v1/subscriptions', {
      body: { url: `${receiver.url}?token=${token}`, name: 'Fleet verify', source: { kind: 'gps' }, alertEmails: owners },
    });
    expect(created.status).toBe(201);
    const { subscription, signingSecret } = created.json as { subscription: { id: string }; signingSecret: string };
    // Unconfirmed addresses get nothing but their confirmation e-mail: one holder clicks the link, the owner pastes the other's code.
    const [first, second] = await Promise.all(owners.map((o) => confirmationMailTo(sink, o)));
    expect((await confirmThroughLink(app.port, first?.link ?? '')).confirm.status).toBe(200);
    const byOwner = await h.call(app, 'POST', `/v1/subscriptions/${subscription.id}/alert-emails/confirm`, { body: { token: second?.token } });
    expect(byOwner.status).toBe(200);
    expect((byOwner.json as { alertEmailConfirmations: { state: string }[] }).alertEmailConfirmations.map((c) => c.state)).toEqual(['confirmed', 'confirmed']);

    const verify = await h.call(app, 'POST', `/v1/subscriptions/${subscription.id}/verify`);
    expect(verify.json).toMatchObject({ result: { kind: 'failed', reason: 'status', statusCode: 500 } });

    const notices = (ms: Awaited<ReturnType<typeof sink.messages>>): typeof ms => ms.filter((m) => !isConfirmationMail(m));
    for (const owner of owners) {
      const [mail] = notices(await sink.waitFor(owner, (ms) => notices(ms).length >= 1, `the verification-failure e-mail to ${owner}`, 30_000));
      expect(mail?.envelopeTo).toContain(owner);
      expect(mail?.subject).toBe('[fleethook] Webhook "Fleet verify" failed verification — not delivering yet');
      expect(mail?.text).toContain(subscription.id);
      expect(mail?.text).toContain(`${receiver.url}?token=***`);
      expect(mail?.text).toContain('status: the endpoint answered status 500; expected 2xx');
      expect(mail?.text).toContain('HMAC-SHA256');
      expect(mail?.html).toContain('Fleet verify');
      for (const secret of [token, signingSecret, signingSecret.replace(/^whsec_/, '')]) {
        expect(mail?.text).not.toContain(secret);
        expect(mail?.html).not.toContain(secret);
      }
    }
    // Exactly once: nothing else turns up for either owner a moment later.
    await sleep(2_000);
    for (const owner of owners) expect(notices(await sink.messages(owner)).map((m) => m.subject)).toHaveLength(1);
    for (const owner of owners) expect((await sink.messages(owner)).filter(isConfirmationMail)).toHaveLength(1);
  });
});
