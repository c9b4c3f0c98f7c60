import { Kafka, Partitioners, logLevel as kafkaLogLevel } from 'kafkajs';
import type { LogEntry, ProducerConfig } from 'kafkajs';
import type { Logger } from './logger.js';

/**
 * Builds the kafkajs client every service uses, with kafkajs' own log lines routed
 * into our structured logger (warnings and errors only unless asked).
 */
export function createKafkaClient(options: {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  verbose?: boolean;
}): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: options.verbose === true ? kafkaLogLevel.INFO : kafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      const record = { namespace: entry.namespace, ...fields };
      if (entry.level <= kafkaLogLevel.ERROR) log.error(message, record);
      else if (entry.level === kafkaLogLevel.WARN) log.warn(message, record);
      else log.info(message, record);
    },
  });
}

/**
 * Producer settings for every record fleethook writes:
 * - idempotent, which kafkajs pairs with acks=-1 on every send and unlimited retries;
 * - one request in flight: kafkajs assigns sequence numbers when it builds a request
 *   and rolls them back on failure, which is only safe with a single request in flight;
 * - the Java-compatible murmur2 partitioner pinned explicitly (kafkajs' default since
 *   v2, but named here so a dependency change cannot silently re-shuffle vehicles);
 * - no auto-creation: topics come from the catalogue (`npm run topics`).
 */
export const reliableProducerConfig: ProducerConfig = {
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
};

/** kafkajs' ack setting for "all in-sync replicas", required by the idempotent producer. */
export const acksAll = -1;
