import { topicCatalogue } from '../../schemas/topics.js';
import { createKafkaClient } from '../shared/kafka/kafkajs-adapter.js';
import { runService } from '../shared/runtime/run-service.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { startAlerterApp } from './alerter-app.js';
import { loadConfig } from './config.js';
import { createSmtpMailer } from './smtp-mailer.js';

// The only place that reads the environment and builds clients.
runService({
  name: 'alerter',
  loadConfig,
  shutdownDeadlineMs: (config) => config.shutdownGraceMs + 15_000,
  start: async ({ config, logger }) => {
    const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-alerter', logger });
    const topics = topicCatalogue({ prefix: config.topicPrefix });
    // The subscriptions topic only when alerts need confirmed addresses (the alerter then reads it).
    const needed = ['webhook.failures', 'webhook.alert-confirmations', ...(config.requireConfirmation ? ['webhook.subscriptions'] : [])];
    await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-alerter', topics: needed.map((id) => topics.get(id).name), settings: config.topicWait, logger });
    const app = await startAlerterApp({ config, kafka, mailer: createSmtpMailer(config.smtp), logger, defaultMetrics: true });
    return { close: () => app.close(), readyFields: { port: app.port } };
  },
});
