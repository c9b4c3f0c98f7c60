import { topicCatalogue, valueSubject } from '../../schemas/topics.js';
import { loadAvroSchema } from '../shared/avro-schema-files.js';
import { errorMessage } from '../shared/errors.js';
import { createKafkaClient } from '../shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../shared/logger.js';
import { SchemaRegistryClient } from '../shared/schema-registry-client.js';
import { waitForTopics } from '../shared/topic-wait/wait-for-topics.js';
import { applyTopicCatalogue } from './apply-topic-catalogue.js';
import type { TopicAction } from './plan-topic-changes.js';
import { loadConfig } from './config.js';

/** `npm run topics`: apply the topic catalogue to the broker and register the value schemas. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('topics', { level: 'warn' });
  const catalogue = topicCatalogue({ prefix: config.topicPrefix, partitions: config.partitions, messageLogRetentionMs: config.messageLogRetentionMs });
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'fleethook-topics', logger });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const actions = await applyTopicCatalogue(admin, catalogue, config.replicationFactor, config.minInsyncReplicas);
    for (const line of summarise(actions)) console.log(line);
  } finally {
    await admin.disconnect();
  }
  // Return only once every topic has leaders that answer, so a service started right after finds them usable.
  await waitForTopics({ brokers: config.kafkaBrokers, clientId: 'fleethook-topics', topics: catalogue.topics.map((t) => t.name), settings: config.topicWait, logger });
  if (!config.registerSchemas) return;
  const registry = new SchemaRegistryClient({ url: config.schemaRegistryUrl, clientId: 'fleethook-topics' });
  for (const spec of catalogue.topics) {
    if (spec.value.format !== 'avro') continue;
    const subject = valueSubject(spec.name);
    const id = await registry.register(subject, loadAvroSchema(spec.value.schemaFile));
    console.log(`schema  ${subject} → id ${id} (${spec.value.schemaFile})`);
  }
}

function summarise(actions: readonly TopicAction[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'create':
        return `created ${a.spec.name} (${a.spec.partitions} partitions, ${a.spec.configs['cleanup.policy']})`;
      case 'update-configs':
        return `updated ${a.spec.name}: ${a.changes.map((c) => `${c.name} ${c.from ?? '(unset)'} → ${c.to}`).join(', ')}`;
      case 'unchanged':
        return `ok      ${a.spec.name}`;
      case 'partition-mismatch':
        return `MISMATCH ${a.spec.name}: ${a.actualPartitions} partitions, catalogue says ${a.spec.partitions}`;
    }
  });
}

main().catch((err: unknown) => {
  console.error(`npm run topics failed:\n${errorMessage(err)}`);
  process.exitCode = 1;
});
