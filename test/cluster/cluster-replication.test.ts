import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireClusterLock } from '../helpers/cluster-lock.js';
import { clusterBrokers, startCluster, stopCluster, stopClusterNode } from '../../stack/cluster.js';
import { uniqueName } from '../helpers/stack-env.js';

const kafka = new Kafka({
  clientId: 'fleethook-test-cluster',
  brokers: [...clusterBrokers],
  logLevel: logLevel.NOTHING,
  retry: { retries: 10, initialRetryTime: 300 },
});
const topic = uniqueName('test-replicated');
const partitions = 3;
let admin: Admin;

function batch(from: number, count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({ key: `vehicle-${(from + i) % 7}`, value: `m${from + i}` }));
}

async function readAll(expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('test-replicated-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '');
          if (values.length === expected) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}

describe('3-node KRaft cluster', () => {
  let releaseCluster: (() => void) | undefined;

  beforeAll(async () => {
    releaseCluster = await acquireClusterLock('cluster-replication test', 8 * 60_000);
    await startCluster();
    admin = kafka.admin();
    await admin.connect();
  }, 10 * 60_000);

  afterAll(async () => {
    await admin?.disconnect();
    await stopCluster({ removeData: true });
    releaseCluster?.();
  }, 120_000);

  it('keeps accepting acks=all writes with min.insync.replicas=2 while one broker is down', { timeout: 180_000 }, async () => {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: batch(0, 30) });

    expect(await stopClusterNode(3)).toBe('stopped');
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    for (const p of metadata.topics[0]?.partitions ?? []) {
      expect(p.isr, `partition ${p.partitionId} ISR`).not.toContain(3);
      expect(p.isr.length).toBeGreaterThanOrEqual(2);
    }

    const acked = await producer.send({ topic, acks: -1, messages: batch(30, 30) });
    expect(acked.every((r) => r.errorCode === 0)).toBe(true);
    await producer.disconnect();

    const values = await readAll(60);
    expect(new Set(values).size).toBe(60);
  });
});
