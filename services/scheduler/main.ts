import { topicCatalogue } from '../../schemas/topics.js';
import { createKafkaClient } from '../shared/kafka/kafkajs-adapter.js';
import { runService } from '../shared/runtime/run-service.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { loadConfig } from './config.js';
import { startSchedulerApp } from './scheduler-app.js';

// The only place that reads the environment and builds clients.
runService({
  name: 'scheduler',
  loadConfig,
  shutdownDeadlineMs: (config) => config.shutdownGraceMs + 15_000,
  start: async ({ config, logger }) => {
    const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-scheduler', logger });
    const topics = topicCatalogue({ prefix: config.topicPrefix });
    const needed = ['scheduler.slots', 'vehicle.state', 'webhook.subscriptions', 'webhook.deliveries'].map((id) => topics.get(id).name);
    await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-scheduler', topics: needed, settings: config.topicWait, logger });
    const app = await startSchedulerApp({ config, kafka, logger, defaultMetrics: true });
    return { close: () => app.close(), readyFields: { port: app.port } };
  },
});
