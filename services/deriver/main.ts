import { topicCatalogue } from '../../schemas/topics.js';
import { createKafkaClient } from '../shared/kafka/kafkajs-adapter.js';
import { runService } from '../shared/runtime/run-service.js';
import { SchemaRegistryClient } from '../shared/schema-registry-client.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { loadConfig } from './config.js';
import { startDeriverApp } from './deriver-app.js';

// The only place that reads the environment and builds clients.
runService({
  name: 'deriver',
  loadConfig,
  shutdownDeadlineMs: (config) => config.shutdownGraceMs + 15_000,
  start: async ({ config, logger }) => {
    const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-deriver', logger });
    const topics = topicCatalogue({ prefix: config.topicPrefix });
    const needed = ['telemetry.gps', 'telemetry.dtc', 'telemetry.events', 'deriver.vehicle-state', 'vehicle.state', 'fleet.landmarks', 'webhook.subscriptions'].map((id) => topics.get(id).name);
    await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-deriver', topics: needed, settings: config.topicWait, logger });
    const registry = new SchemaRegistryClient({ url: config.schemaRegistryUrl, clientId: 'fleethook-deriver' });
    const app = await startDeriverApp({ config, kafka, registry, logger, defaultMetrics: true });
    return { close: () => app.close(), readyFields: { port: app.port } };
  },
});
