import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { topicCatalogue } from '../../schemas/topics.js';
import type { Logger } from '../shared/logger.js';
import { RedisFixedWindow } from '../shared/redis-fixed-window.js';
import { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import { AddressCap } from './address-cap.js';
import { AlertDedupe } from './alert-dedupe.js';
import { AlertSender } from './alert-sender.js';
import { createAlerterMetrics } from './alerter-metrics.js';
import type { AlerterMetrics } from './alerter-metrics.js';
import type { AlerterConfig } from './config.js';
import { ConfirmationRequestConsumer } from './confirmation-request-consumer.js';
import { ConfirmedAddresses } from './confirmed-addresses.js';
import { FailureEventConsumer } from './failure-event-consumer.js';
import type { Mailer } from './smtp-mailer.js';
import { ConsumerLagMonitor, defaultLagIntervalMs } from '../shared/metrics/consumer-lag-monitor.js';

export interface AlerterApp {
  readonly port: number;
  readonly metrics: AlerterMetrics;
  close(): Promise<void>;
}

/** Wires one alerter instance: Redis dedupe, the SMTP mailer, the failures consumer, and /metrics, /healthz, /readyz. */
export async function startAlerterApp(options: {
  config: AlerterConfig; kafka: Kafka; mailer: Mailer; logger: Logger; defaultMetrics?: boolean;
}): Promise<AlerterApp> {
  const { config, kafka, mailer, logger } = options;
  const metrics = createAlerterMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', (err: unknown) => logger.warn('redis error', { err }));
  const instanceId = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const dedupe = new AlertDedupe(redis, config.redisKeyPrefix, instanceId, { claimTtlMs: config.claimTtlMs, sentMarkTtlMs: config.sentMarkTtlMs });
  const topics = topicCatalogue({ prefix: config.topicPrefix });
  // Confirmation state is read from the subscriptions topic; without the requirement the catalogue is not needed.
  const catalogue = config.requireConfirmation
    ? new SubscriptionCatalogue({ kafka, topic: topics.get('webhook.subscriptions').name, logger, groupIdPrefix: `fleethook-alerter-${hostname()}` })
    : null;
  await catalogue?.start();
  const confirmed = new ConfirmedAddresses(catalogue, config.catalogueCatchUpMs);
  const cap = new AddressCap(new RedisFixedWindow(redis), config.redisKeyPrefix, { alert: config.addressCap, confirmation: config.confirmationCap, windowMs: config.addressCapWindowMs });
  const sender = new AlertSender({ mailer, dedupe, cap, confirmed, metrics, logger, render: { consoleUrl: config.consoleUrl } });
  const consumer = new FailureEventConsumer({
    kafka, topic: topics.get('webhook.failures').name, groupId: config.groupId,
    sender, metrics, logger, reminderIntervalMs: config.reminderIntervalMs, reminderCheckMs: config.reminderCheckMs,
    retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs, sessionTimeoutMs: config.sessionTimeoutMs,
  });
  const confirmations = new ConfirmationRequestConsumer({
    kafka, topic: topics.get('webhook.alert-confirmations').name, groupId: config.confirmationsGroupId, sender, confirmed, metrics, logger,
    retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs, sessionTimeoutMs: config.sessionTimeoutMs,
  });
  await consumer.start();
  await confirmations.start();
  const lag = new ConsumerLagMonitor({
    admin: kafka.admin(), gauge: metrics.consumerLag, intervalMs: defaultLagIntervalMs, logger,
    groups: [
      { group: config.groupId, topics: [topics.get('webhook.failures').name], startsAt: 'earliest' },
      { group: config.confirmationsGroupId, topics: [topics.get('webhook.alert-confirmations').name], startsAt: 'earliest' },
    ],
  });
  lag.start();
  const server = createOpsServer(metrics.registry, () => consumer.isJoined && confirmations.isJoined && redis.status === 'ready' && (catalogue?.ready() ?? true));
  const port = await listen(server, config.port, config.host);
  logger.info('alerter started', { port, group: config.groupId, topicPrefix: config.topicPrefix, smtp: `${config.smtp.host}:${config.smtp.port}`, reminderIntervalMs: config.reminderIntervalMs, requireConfirmation: config.requireConfirmation, addressCap: config.addressCap, addressCapWindowMs: config.addressCapWindowMs });
  let closing: Promise<void> | undefined;
  return {
    port, metrics,
    close: () => (closing ??= (async () => {
      await lag.close();
      await consumer.close();
      await confirmations.close();
      await catalogue?.close();
      await new Promise<void>((r) => server.close(() => r()));
      mailer.close();
      redis.disconnect();
    })()),
  };
}

/** `/metrics`, `/healthz` and `/readyz` (ready = joined the group and Redis connected). */
function createOpsServer(registry: Registry, ready: () => boolean): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text), () => res.writeHead(500).end());
    } else if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.method === 'GET' && path === '/readyz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'starting' }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"not_found"}');
    }
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
