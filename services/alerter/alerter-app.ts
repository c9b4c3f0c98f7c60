import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { KafkaClient } from '../shared/kafka/kafka-port.js';
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
import { OpsServer } from '../shared/runtime/ops-server.js';

export interface AlerterApp {
  readonly port: number;
  readonly metrics: AlerterMetrics;
  close(): Promise<void>;
}

/** Wires one alerter instance: Redis dedupe, the SMTP mailer, the failures consumer, and /metrics, /healthz, /readyz. */
export async function startAlerterApp(options: {
  config: AlerterConfig; kafka: KafkaClient; mailer: Mailer; logger: Logger; defaultMetrics?: boolean;
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
  // Ready = both groups joined, Redis connected and (when confirmation is required) the catalogue caught up.
  const ops = await OpsServer.start({
    registry: metrics.registry, host: config.host, port: config.port,
    health: () => ({ healthy: true, ready: consumer.isJoined && confirmations.isJoined && redis.status === 'ready' && (catalogue?.ready() ?? true) }),
  });
  const port = ops.port;
  logger.info('alerter started', { port, group: config.groupId, topicPrefix: config.topicPrefix, smtp: `${config.smtp.host}:${config.smtp.port}`, reminderIntervalMs: config.reminderIntervalMs, requireConfirmation: config.requireConfirmation, addressCap: config.addressCap, addressCapWindowMs: config.addressCapWindowMs });
  let closing: Promise<void> | undefined;
  return {
    port, metrics,
    close: () => (closing ??= (async () => {
      // Independent groups: they hand over at once.
      await Promise.all([lag.close(), consumer.close(), confirmations.close()]);
      await catalogue?.close();
      await ops.close();
      mailer.close();
      redis.disconnect();
    })()),
  };
}
