import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaAdmin, RecordProducer } from '../../services/shared/kafka/kafka-port.js';
import { createKafkaClient } from '../../services/shared/kafka/kafkajs-adapter.js';
import { PartitionedConsumer } from '../../services/shared/kafka/partitioned-consumer.js';
import { createLogger } from '../../services/shared/logger.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';

/** The consumer lifecycle on the real broker: pause reasons, commit floors, and a new generation's resume. */
describe('PartitionedConsumer on the real broker', () => {
  const client = createKafkaClient({ brokers: stackEnv.kafkaBrokers, clientId: 'partitioned-consumer-test' });
  const logger = createLogger('partitioned-consumer-test', { level: 'error', write: () => undefined });
  const topic = uniqueName('pc');
  const groupId = uniqueName('pc-group');
  const admin: KafkaAdmin = client.admin();
  const producer: RecordProducer = client.producer();
  const seen: { partition: number; value: string; generation: number }[] = [];
  const consumers: PartitionedConsumer[] = [];

  function member(): PartitionedConsumer {
    const c: PartitionedConsumer = new PartitionedConsumer({
      client, name: 'test', logger, watchTopics: [topic],
      settings: () => ({ groupId, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 }),
      run: {
        topics: [topic], fromBeginning: true, partitionsConsumedConcurrently: 2, autoCommit: null,
        handler: {
          kind: 'record',
          eachRecord: async ({ partition, message }) => {
            seen.push({ partition, value: message.value?.toString() ?? '', generation: c.generation });
            await c.commitHandled(topic, partition, message.offset);
          },
        },
      },
    });
    consumers.push(c);
    return c;
  }
  const send = (partition: number, value: string): Promise<unknown> => producer.send(topic, [{ key: 'k', value, partition }]);
  const values = (partition: number): string[] => seen.filter((s) => s.partition === partition).map((s) => s.value);

  beforeAll(async () => {
    await admin.connect();
    // Creating waits for leaders; right after, one may still refuse requests for a moment (as in the dispatcher harness).
    await waitFor(() => admin.createTopics([{ topic, numPartitions: 2, replicationFactor: 1, configs: {} }]).then(() => true, async () => (await admin.listTopics()).includes(topic)), { timeoutMs: 30_000, intervalMs: 300, what: 'the test topic' });
    await waitFor(() => admin.watermarks(topic).then((w) => w.length === 2), { timeoutMs: 30_000, intervalMs: 200, what: 'its leaders' });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await producer.disconnect();
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.disconnect();
  });

  it('keeps a partition paused while any reason holds, commits only forward, and a new generation resumes what the last one paused', async () => {
    const a = member();
    await a.start();
    await send(0, 'p0-a');
    await send(1, 'p1-a');
    await waitFor(() => values(0).includes('p0-a') && values(1).includes('p1-a'), { timeoutMs: 30_000, what: 'first records' });

    a.pause(topic, [0], 'back-pressure');
    a.pause(topic, [0], 'scan');
    expect(a.pausedCount()).toBe(1);
    a.resume(topic, [0], 'back-pressure');
    await send(0, 'p0-b');
    await send(1, 'p1-b');
    // Partition 1 is the barrier: once its record is read, partition 0's would have been too, were it fetched.
    await waitFor(() => values(1).includes('p1-b'), { timeoutMs: 30_000, what: 'p1-b' });
    await new Promise((r) => setTimeout(r, 500));
    expect(values(0)).toEqual(['p0-a']);
    a.resume(topic, [0], 'scan');
    await waitFor(() => values(0).includes('p0-b'), { timeoutMs: 30_000, what: 'p0-b after its last reason went' });

    // Bad input: committing a floor below the committed one, or the same again, sends nothing.
    expect(await a.commit([{ topic, partition: 0, offset: 1n }])).toEqual([]);
    expect(await a.commit([{ topic, partition: 0, offset: 2n }])).toEqual([]);
    const positions = await a.positions(topic);
    expect(positions.find((p) => p.partition === 0)?.committed).toBe(2n);

    // Paused when the generation ends: kafkajs would keep it paused; the next generation must read it.
    a.pause(topic, [0, 1], 'held');
    const before = a.generation;
    const b = member();
    await b.start();
    await waitFor(() => a.generation > before, { timeoutMs: 30_000, what: 'a rebalance' });
    await b.close();
    await waitFor(() => a.generation > before + 1 && (a.assignment[topic]?.length ?? 0) === 2, { timeoutMs: 30_000, what: 'both partitions back' });
    expect(a.pausedCount()).toBe(0);
    await send(0, 'p0-c');
    await send(1, 'p1-c');
    await waitFor(() => values(0).includes('p0-c') && values(1).includes('p1-c'), { timeoutMs: 30_000, what: 'records after the rebalance' });
    // Nothing read twice by this group: every commit stuck.
    expect(values(0).filter((v) => v === 'p0-a')).toHaveLength(1);
  }, 120_000);
});
