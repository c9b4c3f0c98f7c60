import { topicCatalogue } from '../../schemas/topics.js';
import { createKafkaClient } from '../shared/kafka/kafkajs-adapter.js';
import { runService } from '../shared/runtime/run-service.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { loadConfig } from './config.js';
import { startDispatcherApp } from './dispatcher-app.js';

// The only place that reads the environment and builds clients.
runService({
  name: 'dispatcher',
  loadConfig,
  // The delivery consumer finishes in-flight requests within the grace; leaving the group and disconnecting get 15 s more.
  shutdownDeadlineMs: (config) => config.shutdownGraceMs + 15_000,
  start: async ({ config, logger }) => {
    const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-dispatcher', logger });
    // It reads telemetry and every webhook topic and writes the dead-letter: the whole catalogue.
    const topics = topicCatalogue({ prefix: config.topicPrefix }).topics.map((t) => t.name);
    await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-dispatcher', topics, settings: config.topicWait, logger });
    const app = await startDispatcherApp({ config, kafka, logger, defaultMetrics: true });
    return { close: () => app.close(), readyFields: { port: app.port } };
  },
});
