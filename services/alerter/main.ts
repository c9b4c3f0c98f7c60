import { topicCatalogue } from '../../schemas/topics.js';
import { errorMessage } from '../shared/errors.js';
import { createKafkaClient } from '../shared/kafka-client.js';
import { createLogger } from '../shared/logger.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { startAlerterApp } from './alerter-app.js';
import { loadConfig } from './config.js';
import { createSmtpMailer } from './smtp-mailer.js';

// The only place that reads the environment and builds clients.
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('alerter', { level: config.logLevel });
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-alerter', logger });
  const topics = topicCatalogue({ prefix: config.topicPrefix });
  // The subscriptions topic only when alerts need confirmed addresses (the alerter then reads it).
  const needed = ['webhook.failures', 'webhook.alert-confirmations', ...(config.requireConfirmation ? ['webhook.subscriptions'] : [])];
  await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-alerter', topics: needed.map((id) => topics.get(id).name), settings: config.topicWait, logger });
  const app = await startAlerterApp({ config, kafka, mailer: createSmtpMailer(config.smtp), logger, defaultMetrics: true });
  // One line tests and scripts can wait for.
  process.stdout.write(`${JSON.stringify({ msg: 'alerter ready', port: app.port })}\n`);
  const shutdown = (signal: string): void => {
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs + 15_000);
    force.unref();
    app.close().then(() => process.exit(0), (err: unknown) => {
      logger.error('shutdown failed', { err });
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`alerter failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
