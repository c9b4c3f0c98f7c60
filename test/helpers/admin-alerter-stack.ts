import { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type { FailureEvent, FailureEventKind } from '../../schemas/failure-event.js';
import { topicCatalogue } from '../../schemas/topics.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { startAlerterApp } from '../../services/alerter/alerter-app.js';
import type { AlerterApp } from '../../services/alerter/alerter-app.js';
import { loadConfig } from '../../services/alerter/config.js';
import { createSmtpMailer } from '../../services/alerter/smtp-mailer.js';
import { kafkaClientOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { AdminApiHarness } from './admin-api-harness.js';
import { stackEnv } from './stack-env.js';
import { waitFor } from './wait-for.js';

/**
 * The admin API and alerter instances on one topic prefix and Redis key prefix, so that
 * what the API writes (subscriptions, confirmation requests, verification failures) reaches
 * the alerter and the real SMTP sink; `produceFailure` stands in for the dispatcher.
 */
export class AdminAlerterStack {
  readonly alerters: AlerterApp[] = [];
  readonly alerterLog: string[] = [];
  private seq = 0;

  private constructor(readonly admin: AdminApiHarness, readonly app: AdminApp, private readonly producer: Producer) {}

  static async create(adminOverrides: Record<string, string> = {}): Promise<AdminAlerterStack> {
    const admin = await AdminApiHarness.create(adminOverrides);
    const app = await admin.startInstance();
    const producer = admin.kafka.producer(reliableProducerConfig);
    await producer.connect();
    return new AdminAlerterStack(admin, app, producer);
  }

  get prefix(): string {
    return this.admin.prefix;
  }

  address(local: string): string {
    return `${local}-${this.prefix.slice(0, -1)}@example.test`;
  }

  async startAlerter(overrides: Record<string, string> = {}): Promise<AlerterApp> {
    const config = loadConfig({
      FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
      FLEETHOOK_REDIS_KEY_PREFIX: `${this.prefix}fh:`,
      FLEETHOOK_TOPIC_PREFIX: this.prefix,
      FLEETHOOK_ALERTER_GROUP_ID: `${this.prefix}alerter`,
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
      FLEETHOOK_ALERTER_LOG_LEVEL: 'info',
      ...overrides,
    });
    const logger = createLogger('alerter', { level: config.logLevel, write: (l) => this.alerterLog.push(l) });
    const alerter = await startAlerterApp({ config, kafka: kafkaClientOf(this.admin.kafka), mailer: createSmtpMailer(config.smtp), logger });
    this.alerters.push(alerter);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${alerter.port}/readyz`)).status === 200, { timeoutMs: 30_000, intervalMs: 200, what: 'the alerter to be ready' });
    return alerter;
  }

  /** A failure event as the dispatcher writes it, for a subscription the API created. */
  async produceFailure(sub: { id: string; name: string; alertEmails: readonly string[] }, kind: FailureEventKind): Promise<FailureEvent> {
    this.seq += 1;
    const now = new Date().toISOString();
    const event: FailureEvent = {
      schemaVersion: 1, eventId: `fev_${this.prefix}${this.seq}`, kind, at: now, subscriptionId: sub.id, accountId: 'acc_alpha',
      subscriptionName: sub.name, url: 'https://hooks.example.test/in', alertEmails: sub.alertEmails, retryPolicy: 'standard-7d',
      firstFailureAt: kind === 'recovered' ? null : now, lastError: 'endpoint answered 503', lastStatusCode: 503, backlogSize: 10, nextRetryAt: null, retryCount: 3, discarded: null,
    };
    const topic = topicCatalogue({ prefix: this.prefix }).get('webhook.failures').name;
    await this.producer.send({ topic, acks: -1, messages: [{ key: sub.id, value: JSON.stringify(event) }] });
    return event;
  }

  /** A counter's value summed over every alerter instance's /metrics (labels matched as a substring). */
  async alerterMetric(name: string, labels: string): Promise<number> {
    let total = 0;
    for (const a of this.alerters) {
      const text = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
      for (const line of text.split('\n')) if (line.startsWith(`${name}{`) && line.includes(labels)) total += Number(line.split(' ').at(-1));
    }
    return total;
  }

  async close(): Promise<void> {
    if (process.env.DEBUG_ALERTER) console.log([...this.admin.logLines, ...this.alerterLog].join('\n'));
    await Promise.all(this.alerters.map((a) => a.close()));
    await this.producer.disconnect();
    await this.admin.close();
    const kafkaAdmin = this.admin.kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.deleteGroups([`${this.prefix}alerter`, `${this.prefix}alerter-confirmations`]).catch(() => undefined);
    await kafkaAdmin.disconnect();
    const redis = new Redis(stackEnv.redisUrl);
    const keys = await redis.keys(`${this.prefix}fh:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}
