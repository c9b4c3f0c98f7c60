import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import type { FailureEvent, FailureEventKind } from '../../schemas/failure-event.js';
import { topicCatalogue } from '../../schemas/topics.js';
import { startAlerterApp } from '../../services/alerter/alerter-app.js';
import type { AlerterApp } from '../../services/alerter/alerter-app.js';
import { loadConfig } from '../../services/alerter/config.js';
import { createSmtpMailer } from '../../services/alerter/smtp-mailer.js';
import { kafkaClientOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { waitFor } from './wait-for.js';

/**
 * An alerter integration test on the real stack: its own `webhook.failures` topic (unique
 * prefix), group and Redis key prefix; alerter instances in-process against a real SMTP
 * server; the test produces the failure events (the dispatcher's emission is its own issue).
 */
export class SmtpAlerterHarness {
  readonly kafka = new Kafka({ clientId: 'alerter-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
  readonly topic: string;
  readonly confirmationsTopic: string;
  readonly env: Record<string, string>;
  readonly apps: AlerterApp[] = [];
  readonly logLines: string[] = [];
  private readonly producer = this.kafka.producer(reliableProducerConfig);
  private seq = 0;

  private constructor(readonly prefix: string, overrides: Record<string, string>) {
    this.topic = topicCatalogue({ prefix }).get('webhook.failures').name;
    this.confirmationsTopic = topicCatalogue({ prefix }).get('webhook.alert-confirmations').name;
    this.env = {
      FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
      FLEETHOOK_REDIS_KEY_PREFIX: `${prefix}fh:`,
      FLEETHOOK_TOPIC_PREFIX: prefix,
      FLEETHOOK_ALERTER_GROUP_ID: `${prefix}alerter`,
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
      // These tests produce failure events for subscriptions that exist only in the events, so
      // they run with the documented operator setting that sends to every listed address.
      FLEETHOOK_ALERTER_REQUIRE_CONFIRMATION: 'false',
      ...overrides,
    };
  }

  /** Creates the test's failures topic (`partitions` of them) and connects the producer. */
  static async create(overrides: Record<string, string> = {}, partitions = 4): Promise<SmtpAlerterHarness> {
    const h = new SmtpAlerterHarness(`${uniqueName('alr')}.`, overrides);
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [h.topic, h.confirmationsTopic].map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
      for (const topic of [h.topic, h.confirmationsTopic]) {
        await waitFor(() => admin.fetchTopicOffsets(topic).then((o) => o.length === partitions), { timeoutMs: 30_000, what: 'test topic leaders' });
      }
    } finally {
      await admin.disconnect();
    }
    await h.producer.connect();
    return h;
  }

  /** An alert address unique to this test run: `<local>-<prefix>@example.test`. */
  address(local: string): string {
    return `${local}-${this.prefix.slice(0, -1)}@example.test`;
  }

  async startAlerter(overrides: Record<string, string> = {}): Promise<AlerterApp> {
    const config = loadConfig({ ...this.env, ...overrides });
    const logger = createLogger('alerter', { level: config.logLevel, write: (l) => this.logLines.push(l) });
    const app = await startAlerterApp({ config, kafka: kafkaClientOf(this.kafka), mailer: createSmtpMailer(config.smtp), logger });
    this.apps.push(app);
    return app;
  }

  /** Waits until the group has handed out every partition (all started instances joined). */
  async waitForAssignment(members: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await waitFor(async () => {
        const { groups } = await admin.describeGroups([this.env.FLEETHOOK_ALERTER_GROUP_ID ?? '']);
        return groups[0]?.state === 'Stable' && groups[0].members.length === members;
      }, { timeoutMs: 30_000, intervalMs: 200, what: `${members} alerter(s) in a stable group` });
    } finally {
      await admin.disconnect();
    }
  }

  event(subscriptionId: string, kind: FailureEventKind, overrides: Partial<FailureEvent> = {}): FailureEvent {
    this.seq += 1;
    const now = new Date().toISOString();
    return {
      schemaVersion: 1, eventId: `fev_${this.prefix}${this.seq}`, kind, at: now, subscriptionId, accountId: 'acc_test',
      subscriptionName: `hook ${subscriptionId}`, url: 'https://hooks.example.test/in', alertEmails: [this.address(subscriptionId)],
      retryPolicy: 'standard-7d', firstFailureAt: kind === 'recovered' || kind === 'verification_failed' ? null : now,
      lastError: 'endpoint answered 503', lastStatusCode: 503, backlogSize: 10, nextRetryAt: null, retryCount: 3, discarded: null,
      ...overrides,
    };
  }

  async produce(...events: FailureEvent[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: events.map((e) => ({ key: e.subscriptionId, value: JSON.stringify(e) })) });
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.map((a) => a.close()));
    await this.producer.disconnect();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [this.topic, this.confirmationsTopic] }).catch(() => undefined);
    await admin.deleteGroups([this.env.FLEETHOOK_ALERTER_GROUP_ID ?? '', `${this.env.FLEETHOOK_ALERTER_GROUP_ID ?? ''}-confirmations`]).catch(() => undefined);
    await admin.disconnect();
    const redis = new Redis(stackEnv.redisUrl);
    const keys = await redis.keys(`${this.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '-'}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}
