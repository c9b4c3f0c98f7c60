import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

const kafka = new Kafka({ clientId: 'fleethook-test-consumer-group', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.WARN });
const topic = uniqueName('test-consumer-group');
const groupId = uniqueName('test-group');
const total = 10;
const committedAfter = 6;
let admin: Admin;

/** Runs a consumer of `groupId` until `wanted` messages arrived; commits only when told to. */
async function consumeSome(
  wanted: number,
  onMessage: (consumer: Consumer, message: KafkaMessage, seen: number) => Promise<void>,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: KafkaMessage[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            if (seen.length >= wanted) return;
            seen.push(message);
            await onMessage(consumer, message, seen.length);
            if (seen.length === wanted) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect(); // leaves the group
  }
  return seen;
}

describe('kafkajs consumer group against the local broker', () => {
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: total }, (_, i) => ({ key: 'vehicle-1', value: `m${i}` })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('joins, consumes, commits, leaves, and a rejoin resumes from the committed offset', { timeout: 120_000 }, async () => {
    const firstRun = await consumeSome(committedAfter, async (consumer, message, seen) => {
      if (seen === committedAfter) {
        await consumer.commitOffsets([{ topic, partition: 0, offset: String(Number(message.offset) + 1) }]);
      }
    });
    expect(firstRun.map((m) => m.value?.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]?.partitions).toEqual([{ partition: 0, offset: String(committedAfter), metadata: null }]);
    const afterLeave = await admin.describeGroups([groupId]);
    expect(afterLeave.groups[0]?.state).toBe('Empty');

    const secondRun = await consumeSome(total - committedAfter, async () => undefined);
    expect(secondRun.map((m) => m.offset)).toEqual(['6', '7', '8', '9']);
    expect(secondRun.map((m) => m.value?.toString())).toEqual(['m6', 'm7', 'm8', 'm9']);
  });
});
