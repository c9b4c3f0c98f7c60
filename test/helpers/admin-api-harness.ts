import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from './wait-for.js';
import { topicCatalogue } from '../../schemas/topics.js';
import { startAdminApp } from '../../services/admin-api/admin-app.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadConfig } from '../../services/admin-api/config.js';
import type { DeliveryStatusSource } from '../../services/admin-api/delivery-status-source.js';
import { createLogger } from '../../services/shared/logger.js';
import type { Logger } from '../../services/shared/logger.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';

export const accountKeys = {
  acc_alpha: 'alpha-key-0123456789abcdef',
  acc_beta: 'beta-key-0123456789abcdef0',
} as const;
export const operatorKey = 'operator-key-0123456789abcdef';

export interface ApiReply {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

/**
 * Runs admin API instances in-process against the real Kafka of the stack, on a
 * subscriptions topic of their own (unique prefix). Endpoints in tests live on
 * 127.0.0.1, so the allow-list permits loopback explicitly — the default config does not.
 */
export class AdminApiHarness {
  readonly apps: AdminApp[] = [];
  readonly logLines: string[] = [];
  readonly kafka = new Kafka({ clientId: 'admin-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
  readonly logger: Logger = createLogger('admin-api', { level: 'debug', write: (line) => this.logLines.push(line) });
  readonly env: Record<string, string>;
  readonly topic: string;

  private constructor(readonly prefix: string, overrides: Record<string, string>) {
    this.env = {
      FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      FLEETHOOK_TOPIC_PREFIX: prefix,
      FLEETHOOK_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')},k2:${randomBytes(32).toString('base64')}`,
      FLEETHOOK_SECRET_ACTIVE_KEY_ID: 'k2',
      FLEETHOOK_ADMIN_HOST: '127.0.0.1',
      FLEETHOOK_ADMIN_PORT: '0',
      FLEETHOOK_ADMIN_ACCOUNT_KEYS: Object.entries(accountKeys).map(([a, k]) => `${a}:${k}`).join(','),
      FLEETHOOK_ADMIN_OPERATOR_KEY: operatorKey,
      FLEETHOOK_ADMIN_ALLOW_HTTP: 'true',
      FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '127.0.0.0/8,::1',
      // Test receivers listen on ephemeral ports (and some tests name the discard port 9).
      FLEETHOOK_ADMIN_ALLOWED_PORTS: '1-65535',
      // Generous: the CI machine is shared and busy; the timeout tests pay this once each.
      FLEETHOOK_ADMIN_ENDPOINT_TIMEOUT_MS: '4000',
      FLEETHOOK_ADMIN_SECRET_GRACE_MS: '60000',
      // Rate-limit counters of this test only.
      FLEETHOOK_REDIS_KEY_PREFIX: `${prefix}fh:`,
      ...overrides,
    };
    this.topic = topicCatalogue({ prefix }).get('webhook.subscriptions').name;
  }

  /** Creates the compacted subscriptions, landmark and vehicle.state topics, `webhook.failures` and `webhook.alert-confirmations` (3 partitions each) with the catalogue's configs. */
  static async create(overrides: Record<string, string> = {}, options: { failuresTopic?: boolean } = {}): Promise<AdminApiHarness> {
    const h = new AdminApiHarness(`${uniqueName('adm')}.`, overrides);
    const spec = topicCatalogue({ prefix: h.prefix }).get('webhook.subscriptions');
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      // A fresh topic's leaders can take a moment to reach every broker's metadata (once:
      // 'This server does not host this topic-partition'); creating again is harmless.
      // webhook.failures too: a failed verification writes an event there.
      const failures = topicCatalogue({ prefix: h.prefix }).get('webhook.failures');
      // webhook.alert-confirmations: adding alert addresses writes confirmation requests there.
      const confirmations = topicCatalogue({ prefix: h.prefix }).get('webhook.alert-confirmations');
      // fleet.landmarks: the landmark registry reads it at start.
      const landmarks = topicCatalogue({ prefix: h.prefix }).get('fleet.landmarks');
      // vehicle.state: the vehicle state registry reads it at start.
      const vehicles = topicCatalogue({ prefix: h.prefix }).get('vehicle.state');
      // webhook.messages: the delivery log the admin API reads whole.
      const messages = topicCatalogue({ prefix: h.prefix }).get('webhook.messages');
      await waitFor(async () => {
        await admin.createTopics({
          waitForLeaders: true,
          topics: (options.failuresTopic === false ? [spec, confirmations, landmarks, vehicles, messages] : [spec, failures, confirmations, landmarks, vehicles, messages]).map((t) => ({ topic: t.name, numPartitions: 3, replicationFactor: 1, configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })) })),
        });
        await admin.fetchTopicOffsets(h.topic);
        await admin.fetchTopicOffsets(landmarks.name);
        await admin.fetchTopicOffsets(vehicles.name);
        await admin.fetchTopicOffsets(messages.name);
        if (options.failuresTopic !== false) await admin.fetchTopicOffsets(failures.name);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 500, what: `topics ${h.topic}, ${landmarks.name} and ${failures.name} with leaders` });
    } finally {
      await admin.disconnect();
    }
    return h;
  }

  async startInstance(overrides: Record<string, string> = {}, statusSource?: DeliveryStatusSource): Promise<AdminApp> {
    const config = loadConfig({ ...this.env, ...overrides });
    const app = await startAdminApp({ config, kafka: kafkaClientOf(this.kafka), logger: this.logger, ...(statusSource ? { statusSource } : {}) });
    this.apps.push(app);
    return app;
  }

  async stopInstance(app: AdminApp): Promise<void> {
    await app.close();
    this.apps.splice(this.apps.indexOf(app), 1);
  }

  async call(app: AdminApp, method: string, path: string, options: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<ApiReply> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? accountKeys.acc_alpha : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`http://127.0.0.1:${app.port}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** Every raw value byte of the subscriptions topic, read from the beginning. */
  async rawTopicBytes(expectedMessages: number): Promise<Buffer[]> {
    const consumer = this.kafka.consumer({ groupId: uniqueName('raw-reader') });
    const values: Buffer[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value ?? Buffer.alloc(0)) });
    const deadline = Date.now() + 20_000;
    while (values.length < expectedMessages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    return values;
  }

  async topicMessageCount(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(this.topic);
    await admin.disconnect();
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  }

  async close(): Promise<void> {
    for (const app of [...this.apps]) await this.stopInstance(app);
    const admin = this.kafka.admin();
    await admin.connect();
    const catalogue = topicCatalogue({ prefix: this.prefix });
    await admin.deleteTopics({ topics: [this.topic, catalogue.get('webhook.failures').name, catalogue.get('webhook.alert-confirmations').name, catalogue.get('fleet.landmarks').name, catalogue.get('vehicle.state').name, catalogue.get('webhook.messages').name] }).catch(() => undefined);
    await admin.disconnect();
  }
}
