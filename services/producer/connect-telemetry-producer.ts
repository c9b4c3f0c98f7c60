import { topicCatalogue } from '../../schemas/topics.js';
import { createKafkaClient } from '../shared/kafka/kafkajs-adapter.js';
import type { Logger } from '../shared/logger.js';
import { SchemaRegistryClient } from '../shared/schema-registry-client.js';
import type { ProducerConfig } from './config.js';
import { TelemetryProducer } from './telemetry-producer.js';

/** Builds the clients from a loaded config and returns a connected producer. */
export async function connectTelemetryProducer(config: ProducerConfig, logger: Logger): Promise<TelemetryProducer> {
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: config.clientId, logger });
  const registry = new SchemaRegistryClient({ url: config.schemaRegistryUrl, clientId: config.clientId });
  const catalogue = topicCatalogue({ prefix: config.topicPrefix });
  const producer = new TelemetryProducer(kafka, registry, catalogue, config);
  await producer.connect();
  return producer;
}
