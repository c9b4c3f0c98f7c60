import { defaultMessageLogRetentionMs, defaultPartitions, partitionGroups } from '../../schemas/topics.js';
import type { PartitionGroup } from '../../schemas/topics.js';
import { EnvReader } from '../shared/env-reader.js';
import { readSchemaRegistryUrl, readServiceKafkaConfig, sharedDefaults } from '../shared/runtime/common-config.js';
import type { ServiceKafkaConfig } from '../shared/runtime/common-config.js';
import { topicWaitDefaults } from '../shared/topic-wait/topic-wait-config.js';
import { defaultMinInsyncReplicas } from './plan-topic-changes.js';

export interface TopicsConfig extends ServiceKafkaConfig {
  readonly schemaRegistryUrl: string;
  readonly replicationFactor: number;
  /** `min.insync.replicas` of every topic; at most the replication factor. */
  readonly minInsyncReplicas: number;
  /** Per-group partition counts; tests shrink them, production keeps the catalogue's. */
  readonly partitions: Readonly<Record<PartitionGroup, number>>;
  readonly registerSchemas: boolean;
  /** `retention.ms` of the delivery log, `webhook.messages`. */
  readonly messageLogRetentionMs: number;
}

export const topicsDefaults: TopicsConfig = {
  kafkaBrokers: sharedDefaults.kafkaBrokers,
  schemaRegistryUrl: sharedDefaults.schemaRegistryUrl,
  topicPrefix: sharedDefaults.topicPrefix,
  topicWait: topicWaitDefaults,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  partitions: defaultPartitions,
  registerSchemas: true,
  messageLogRetentionMs: defaultMessageLogRetentionMs,
};

/**
 * `FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_SCHEMA_REGISTRY_URL`, `FLEETHOOK_TOPIC_PREFIX`,
 * `FLEETHOOK_TOPICS_REPLICATION_FACTOR`, `FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS` (default: 2, or 1
 * with a replication factor of 1), `FLEETHOOK_TOPICS_REGISTER_SCHEMAS`, `FLEETHOOK_TOPICS_MESSAGE_LOG_RETENTION_MS` (default 7 days), and
 * `FLEETHOOK_TOPICS_<GROUP>_PARTITIONS` (TELEMETRY, DEADLETTER, WEBHOOK, REGISTRY).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): TopicsConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = topicsDefaults;
  const partitions = Object.fromEntries(
    partitionGroups.map((g) => [g, r.int(`TOPICS_${g.toUpperCase()}_PARTITIONS`, d.partitions[g], { min: 1, max: 1_000 })]),
  ) as Record<PartitionGroup, number>;
  const replicationFactor = r.int('TOPICS_REPLICATION_FACTOR', d.replicationFactor, { min: 1, max: 5 });
  const config: TopicsConfig = {
    ...readServiceKafkaConfig(r),
    schemaRegistryUrl: readSchemaRegistryUrl(r),
    replicationFactor,
    minInsyncReplicas: r.int('TOPICS_MIN_INSYNC_REPLICAS', defaultMinInsyncReplicas(replicationFactor), { min: 1, max: 5 }),
    partitions,
    registerSchemas: r.bool('TOPICS_REGISTER_SCHEMAS', d.registerSchemas),
    messageLogRetentionMs: r.int('TOPICS_MESSAGE_LOG_RETENTION_MS', d.messageLogRetentionMs, { min: 3_600_000, max: 365 * 86_400_000 }),
  };
  if (config.minInsyncReplicas > config.replicationFactor) {
    r.problem(`FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS (${config.minInsyncReplicas}) must not exceed FLEETHOOK_TOPICS_REPLICATION_FACTOR (${config.replicationFactor}): no write with acks=all could succeed`);
  }
  r.finish();
  return config;
}
