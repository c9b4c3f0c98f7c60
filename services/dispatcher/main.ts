import { topicCatalogue } from '../../schemas/topics.js';
import { errorMessage } from '../shared/errors.js';
import { createKafkaClient } from '../shared/kafka-client.js';
import { createLogger } from '../shared/logger.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { loadConfig } from './config.js';
import { startDispatcherApp } from './dispatcher-app.js';

// The only place that reads the environment and builds clients.
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('dispatcher', { level: config.logLevel });
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-dispatcher', logger });
  // It reads telemetry and every webhook topic and writes the dead-letter: the whole catalogue.
  const topics = topicCatalogue({ prefix: config.topicPrefix }).topics.map((t) => t.name);
  await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-dispatcher', topics, settings: config.topicWait, logger });
  const app = await startDispatcherApp({ config, kafka, logger, defaultMetrics: true });
  // One line tests and scripts can wait for.
  process.stdout.write(`${JSON.stringify({ msg: 'dispatcher ready', port: app.port })}\n`);
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
  process.stderr.write(`dispatcher failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
