import type { KafkaAdmin, KafkaClient, TopicMetadata } from '../kafka/kafka-port.js';
import { errorMessage } from '../errors.js';
import type { TopicProbe } from './topic-probe.js';

/**
 * Looks at each topic once with a fresh admin client (so no metadata is cached from an
 * earlier look): does the broker know it, has every partition a leader, and do the
 * leaders answer ListOffsets — the first request the catalogue and consumers make, which
 * fails with "not the leader" for a moment after a topic is created.
 */
export async function probeTopics(kafka: KafkaClient, topics: readonly string[]): Promise<TopicProbe[]> {
  // Our caller retries; the client's own retries would only hide each look's answer for seconds.
  const admin = kafka.admin({ retries: 0 });
  try {
    await admin.connect();
  } catch (err) {
    return topics.map((topic) => ({ kind: 'unreachable', topic, reason: errorMessage(err) }));
  }
  try {
    const probes: TopicProbe[] = [];
    for (const topic of topics) probes.push(await probeTopic(admin, topic));
    return probes;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function probeTopic(admin: KafkaAdmin, topic: string): Promise<TopicProbe> {
  let partitions: TopicMetadata['partitions'];
  try {
    const metadata = await admin.topicMetadata([topic]);
    partitions = metadata.find((t) => t.name === topic)?.partitions ?? [];
  } catch (err) {
    return isUnknownTopic(err) ? { kind: 'missing', topic } : { kind: 'unreadable', topic, reason: errorMessage(err) };
  }
  const leaderless = partitions
    .filter((p) => p.leader < 0 || p.partitionErrorCode !== 0)
    .map((p) => p.partitionId)
    .sort((a, b) => a - b);
  if (partitions.length === 0 || leaderless.length > 0) return { kind: 'no-leader', topic, partitions: leaderless };
  try {
    await admin.watermarks(topic);
  } catch (err) {
    return isUnknownTopic(err) ? { kind: 'missing', topic } : { kind: 'unreadable', topic, reason: errorMessage(err) };
  }
  return { kind: 'ready', topic, partitions: partitions.length };
}

function isUnknownTopic(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'type' in err && err.type === 'UNKNOWN_TOPIC_OR_PARTITION';
}
