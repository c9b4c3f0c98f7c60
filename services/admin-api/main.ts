import { collectDefaultMetrics, register } from 'prom-client';
import { errorMessage } from '../shared/errors.js';
import { createKafkaClient } from '../shared/kafka-client.js';
import { createLogger } from '../shared/logger.js';
import { startAdminApp } from './admin-app.js';
import { loadConfig } from './config.js';

// The only place that reads the environment and builds clients.
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('admin-api', { level: config.logLevel });
  collectDefaultMetrics();
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-admin-api', logger });
  const app = await startAdminApp({ config, kafka, logger, metricsRegistry: register });
  const shutdown = (signal: string): void => {
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
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
  process.stderr.write(`admin-api failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
