import { collectDefaultMetrics, register } from 'prom-client';
import { Redis } from 'ioredis';
import { topicCatalogue } from '../../schemas/topics.js';
import { createKafkaClient } from '../shared/kafka/kafkajs-adapter.js';
import { runService } from '../shared/runtime/run-service.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { adminTopicIds, startAdminApp } from './admin-app.js';
import { loadConfig } from './config.js';
import { RedisDeliveryStatusSource } from './redis-delivery-status-source.js';

// The only place that reads the environment and builds clients.
runService({
  name: 'admin-api',
  loadConfig,
  shutdownDeadlineMs: () => 15_000,
  start: async ({ config, logger }) => {
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
    return { close: () => app.close().then(() => redis.quit()).then(() => undefined), readyFields: { port: app.port } };
  },
});
