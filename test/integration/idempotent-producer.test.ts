import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { readTopic } from '../helpers/topic-reader.js';

// The broker deduplicates a retried batch only when the batch carries the producer id and
// sequence numbers the idempotent producer was given. fleethook encodes produce requests
// itself (shared/kafka/produce-request-encoder.ts); these tests read back what it wrote.
const kafka = new Kafka({ clientId: 'fleethook-test-idempotent-producer', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];

async function freshTopic(): Promise<string> {
  const topic = uniqueName('test-idempotent');
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  topics.push(topic);
  return topic;
}

/** Each partition's records as `<producer id>/<epoch> seq <n>`, in offset order. */
async function writers(topic: string): Promise<Map<number, string[]>> {
  const byPartition = new Map<number, string[]>();
  for (const r of await readTopic(kafka, topic)) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.producer ?? 'none']);
  return byPartition;
}

describe("fleethook's producer writes as an idempotent producer", () => {
  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it.each([
    ['plain sends', false, undefined],
    ['gzip batches', false, 'gzip'],
    ['sends with remembered key partitions', true, undefined],
  ] as const)('%s carry its producer id, epoch and consecutive sequence numbers on every partition', async (_name, remember, compression) => {
    const topic = await freshTopic();
    const producer = kafkaClientOf(kafka).producer({ rememberKeyPartitions: remember });
    await producer.connect();
    try {
      for (let n = 0; n < 3; n++) {
        const messages = Array.from({ length: 8 }, (_, i) => ({ key: `vehicle-${i}`, value: Buffer.from(`s${n}-${i}`), headers: {} }));
        if (compression === undefined) await producer.send(topic, messages);
        else await producer.sendBatch([{ topic, messages }], { compression });
      }
    } finally {
      await producer.disconnect();
    }
    const written = await writers(topic);
    expect([...written.values()].flat()).toHaveLength(24);
    const ids = new Set([...written.values()].flat().map((w) => w.split(' ')[0]));
    expect(ids.size, `producer ids seen: ${[...ids].join(', ')}`).toBe(1);
    const [id] = [...ids];
    expect(id, 'no producer id (-1): the broker would deduplicate nothing').toMatch(/^\d+\/\d+$/);
    for (const [partition, list] of written) {
      expect(list, `partition ${partition}`).toEqual(list.map((_, seq) => `${id} seq ${seq}`));
    }
  });
});
