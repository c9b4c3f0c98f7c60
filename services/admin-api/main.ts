import { collectDefaultMetrics, register } from 'prom-client';
import { Redis } from 'ioredis';
import { topicCatalogue } from '../../schemas/topics.js';
import { errorMessage } from '../shared/errors.js';
import { createKafkaClient } from '../shared/kafka-client.js';
import { createLogger } from '../shared/logger.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { adminTopicIds, startAdminApp } from './admin-app.js';
import { loadConfig } from './config.js';
import { RedisDeliveryStatusSource } from './redis-delivery-status-source.js';

// The only place that reads the environment and builds clients.
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('admin-api', { level: config.logLevel });
  collectDefaultMetrics();
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-admin-api', logger });
  const topics = topicCatalogue({ prefix: config.topicPrefix });
  await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-admin-api', topics: adminTopicIds.map((id) => topics.get(id).name), settings: config.topicWait, logger });
  // Fails fast while Redis is away: status figures are then null, the API keeps working.
  const redis = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', (err: unknown) => logger.warn('redis unavailable', { err }));
  redis.connect().catch(() => undefined);
  const statusSource = new RedisDeliveryStatusSource(redis, config.redisKeyPrefix, logger);
  const app = await startAdminApp({ config, kafka, logger, statusSource, metricsRegistry: register, redis });
  const shutdown = (signal: string): void => {
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    app.close().then(() => redis.quit()).then(() => process.exit(0), (err: unknown) => {
      logger.error('shutdown failed', { err });
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`admin-api failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
