import { defaultPartitions, partitionGroups } from '../../schemas/topics.js';
import type { PartitionGroup } from '../../schemas/topics.js';
import { EnvReader } from '../shared/env-reader.js';
import { readTopicWaitSettings, topicWaitDefaults } from '../shared/topic-wait/topic-wait-config.js';
import type { TopicWaitSettings } from '../shared/topic-wait/decide-topic-wait.js';
import { defaultMinInsyncReplicas } from './plan-topic-changes.js';

export interface TopicsConfig {
  readonly kafkaBrokers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly topicPrefix: string;
  /** FLEETHOOK_TOPIC_WAIT_MS / FLEETHOOK_TOPIC_WAIT_RETRY_MS: the start-up wait for this service's topics. */
  readonly topicWait: TopicWaitSettings;
  readonly replicationFactor: number;
  /** `min.insync.replicas` of every topic; at most the replication factor. */
  readonly minInsyncReplicas: number;
  /** Per-group partition counts; tests shrink them, production keeps the catalogue's. */
  readonly partitions: Readonly<Record<PartitionGroup, number>>;
  readonly registerSchemas: boolean;
}

export const topicsDefaults: TopicsConfig = {
  kafkaBrokers: ['127.0.0.1:19092'],
  schemaRegistryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
  topicPrefix: '',
  topicWait: topicWaitDefaults,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  partitions: defaultPartitions,
  registerSchemas: true,
};

/**
 * `FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_SCHEMA_REGISTRY_URL`, `FLEETHOOK_TOPIC_PREFIX`,
 * `FLEETHOOK_TOPICS_REPLICATION_FACTOR`, `FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS` (default: 2, or 1
 * with a replication factor of 1), `FLEETHOOK_TOPICS_REGISTER_SCHEMAS`, and
 * `FLEETHOOK_TOPICS_<GROUP>_PARTITIONS` (TELEMETRY, DEADLETTER, WEBHOOK).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): TopicsConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = topicsDefaults;
  const partitions = Object.fromEntries(
    partitionGroups.map((g) => [g, r.int(`TOPICS_${g.toUpperCase()}_PARTITIONS`, d.partitions[g], { min: 1, max: 1_000 })]),
  ) as Record<PartitionGroup, number>;
  const replicationFactor = r.int('TOPICS_REPLICATION_FACTOR', d.replicationFactor, { min: 1, max: 5 });
  const config: TopicsConfig = {
    kafkaBrokers: r.list('KAFKA_BROKERS', d.kafkaBrokers),
    schemaRegistryUrl: r.string('SCHEMA_REGISTRY_URL', d.schemaRegistryUrl),
    topicPrefix: r.string('TOPIC_PREFIX', d.topicPrefix),
    topicWait: readTopicWaitSettings(r),
    replicationFactor,
    minInsyncReplicas: r.int('TOPICS_MIN_INSYNC_REPLICAS', defaultMinInsyncReplicas(replicationFactor), { min: 1, max: 5 }),
    partitions,
    registerSchemas: r.bool('TOPICS_REGISTER_SCHEMAS', d.registerSchemas),
  };
  if (config.minInsyncReplicas > config.replicationFactor) {
    r.problem(`FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS (${config.minInsyncReplicas}) must not exceed FLEETHOOK_TOPICS_REPLICATION_FACTOR (${config.replicationFactor}): no write with acks=all could succeed`);
  }
  if (config.kafkaBrokers.length === 0) r.problem('FLEETHOOK_KAFKA_BROKERS must list at least one host:port');
  r.finish();
  return config;
}
