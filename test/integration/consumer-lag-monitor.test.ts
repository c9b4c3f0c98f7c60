import { Kafka, logLevel } from 'kafkajs';
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../services/shared/logger.js';
import { ConsumerLagMonitor } from '../../services/shared/metrics/consumer-lag-monitor.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { createTopicsWithLeaders } from '../helpers/create-topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { adminOf } from '../../services/shared/kafka/kafkajs-adapter.js';

// The lag monitor against the real broker: committed offsets and high watermarks read
// through the admin client, one gauge series per group, topic and partition.

const kafka = new Kafka({ clientId: 'lag-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
const topic = uniqueName('lag');
const group = uniqueName('lag-group');
const neverCommitted = uniqueName('lag-idle');

function gaugeIn(registry: Registry): Gauge<'group' | 'topic' | 'partition'> {
  return new Gauge({ name: 'test_consumer_lag', help: 'lag', labelNames: ['group', 'topic', 'partition'], registers: [registry] });
}

async function series(registry: Registry): Promise<Record<string, number>> {
  const [metric] = await registry.getMetricsAsJSON();
  return Object.fromEntries((metric?.values ?? []).map((v) => [`${v.labels.group}/${v.labels.topic}/${v.labels.partition}`, v.value]));
}

describe('ConsumerLagMonitor', () => {
  const admin = kafka.admin();
  const producer = kafka.producer();

  beforeAll(async () => {
    await admin.connect();
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
    await waitFor(() => admin.fetchTopicOffsets(topic).then((o) => o.length === 2), { timeoutMs: 30_000, what: 'topic leaders' });
    await producer.connect();
    // 5 records on partition 0, 2 on partition 1; the group has committed 2 on partition 0 only.
    await producer.send({ topic, acks: -1, messages: [0, 1, 2, 3, 4].map((i) => ({ partition: 0, value: `p0-${i}` })) });
    await producer.send({ topic, acks: -1, messages: [0, 1].map((i) => ({ partition: 1, value: `p1-${i}` })) });
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '2' }] });
  }, 60_000);

  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('reports high watermark minus committed offset per partition, as each group starts', async () => {
    const registry = new Registry();
    const monitor = new ConsumerLagMonitor({
      admin: adminOf(kafka.admin()), gauge: gaugeIn(registry), intervalMs: 60_000, logger: createLogger('lag-test', { level: 'error', write: () => undefined }),
      groups: [
        { group, topics: [topic], startsAt: 'earliest' },
        // Never committed and starting at the end: no lag owed, no series.
        { group: neverCommitted, topics: [topic], startsAt: 'latest' },
      ],
    });
    try {
      await monitor.refresh();
      expect(await series(registry)).toEqual({ [`${group}/${topic}/0`]: 3, [`${group}/${topic}/1`]: 2 });
      await producer.send({ topic, acks: -1, messages: [{ partition: 1, value: 'p1-2' }] });
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '5' }] });
      await monitor.refresh();
      expect(await series(registry)).toEqual({ [`${group}/${topic}/0`]: 0, [`${group}/${topic}/1`]: 3 });
    } finally {
      await monitor.close();
    }
  });

  it('keeps the last figures when a read fails (a topic that does not exist)', async () => {
    const registry = new Registry();
    const lines: string[] = [];
    const gauge = gaugeIn(registry);
    gauge.set({ group, topic: 'before', partition: '0' }, 7);
    const monitor = new ConsumerLagMonitor({
      admin: adminOf(kafka.admin()), gauge, intervalMs: 60_000, logger: createLogger('lag-test', { level: 'warn', write: (l) => lines.push(l) }),
      groups: [{ group, topics: [uniqueName('missing-topic')], startsAt: 'earliest' }],
    });
    try {
      await monitor.refresh();
      expect(await series(registry)).toEqual({ [`${group}/before/0`]: 7 });
      expect(lines.join('\n')).toContain('consumer lag not read');
    } finally {
      await monitor.close();
    }
  });
});
