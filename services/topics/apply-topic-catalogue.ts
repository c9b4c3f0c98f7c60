import type { KafkaAdmin } from '../shared/kafka/kafka-port.js';
import type { TopicCatalogue } from '../../schemas/topics.js';
import { FleethookError } from '../shared/errors.js';
import { describeMismatches, planTopicChanges } from './plan-topic-changes.js';
import type { ExistingTopic, TopicAction } from './plan-topic-changes.js';

const managedConfigs = ['cleanup.policy', 'retention.ms', 'min.insync.replicas', 'max.message.bytes'];

/** What the broker has for the catalogue's topics (absent ones are left out). */
export async function readExistingTopics(admin: KafkaAdmin, names: readonly string[]): Promise<Map<string, ExistingTopic>> {
  const onBroker = new Set(await admin.listTopics());
  const present = names.filter((n) => onBroker.has(n));
  const existing = new Map<string, ExistingTopic>();
  if (present.length === 0) return existing;
  const metadata = await admin.topicMetadata(present);
  const configsByTopic = await admin.topicConfigs(present, managedConfigs);
  for (const t of metadata) {
    existing.set(t.name, { partitions: t.partitions.length, configs: configsByTopic.get(t.name) ?? {} });
  }
  return existing;
}

/**
 * Brings the broker in line with the catalogue: creates missing topics, rewrites the
 * managed configs of existing ones that drifted, and refuses (changing nothing) when any
 * existing topic's partition count differs from the catalogue.
 */
export async function applyTopicCatalogue(
  admin: KafkaAdmin,
  catalogue: TopicCatalogue,
  replicationFactor: number,
  minInsyncReplicas?: number,
): Promise<TopicAction[]> {
  const existing = await readExistingTopics(admin, catalogue.topics.map((t) => t.name));
  const actions = planTopicChanges(catalogue.topics, existing, replicationFactor, minInsyncReplicas);
  const mismatches = describeMismatches(actions);
  if (mismatches.length > 0) {
    throw new FleethookError('TOPIC_PARTITION_MISMATCH', mismatches.join('\n'));
  }
  const toCreate = actions.flatMap((a) => (a.kind === 'create' ? [a] : []));
  if (toCreate.length > 0) {
    await admin.createTopics(toCreate.map((a) => ({ topic: a.spec.name, numPartitions: a.spec.partitions, replicationFactor, configs: a.configs })));
  }
  const toUpdate = actions.flatMap((a) => (a.kind === 'update-configs' ? [a] : []));
  if (toUpdate.length > 0) {
    // AlterConfigs (non-incremental) replaces the topic's dynamic configs with this full set.
    await admin.replaceTopicConfigs(toUpdate.map((a) => ({ topic: a.spec.name, configs: a.configs })));
  }
  return actions;
}
