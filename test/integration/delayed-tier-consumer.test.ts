import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicCatalogue } from '../../schemas/topics.js';
import { DelayedTierConsumer } from '../../services/dispatcher/retry/delayed-tier-consumer.js';
import type { DueRecord } from '../../services/dispatcher/retry/delayed-tier-consumer.js';
import { dueAtHeaders } from '../../services/dispatcher/retry/retry-due-header.js';
import { kafkaClientOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';

const partitions = 3;
const sessionTimeoutMs = 6_000;

describe('delayed tier consumer (real broker, compressed delays)', () => {
  const kafka = new Kafka({ clientId: 'delayed-tier-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
  const prefix = `${uniqueName('dly')}.`;
  const catalogue = topicCatalogue({ prefix, partitions: { webhook: partitions } });
  const topics = [catalogue.get('webhook.retry.5m'), catalogue.get('webhook.retry.15m')];
  const consumers: DelayedTierConsumer[] = [];
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer(reliableProducerConfig);

  beforeAll(async () => {
    await admin.connect();
    // A fresh topic's leader can take a moment to appear in metadata; creating again is a no-op.
    await waitFor(async () => {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({
          topic: t.name, numPartitions: t.partitions, replicationFactor: 1,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
      for (const t of topics) await admin.fetchTopicOffsets(t.name);
      return true;
    }, { timeoutMs: 30_000, intervalMs: 300, what: 'test topics with leaders' });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await producer.disconnect();
    await admin.deleteTopics({ topics: topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('hands every record over no earlier than its due time, in order per partition, across a rebalance and a wait longer than the session timeout', async () => {
    const handed: Array<DueRecord & { consumer: number }> = [];
    const start = (n: number): DelayedTierConsumer => {
      const c = new DelayedTierConsumer({
        kafka: kafkaClientOf(kafka), groupId: `${prefix}delayed`, topics: topics.map((t) => t.name), sessionTimeoutMs,
        logger: createLogger('test', { level: 'error' }),
        handle: async (r) => {
          handed.push({ ...r, consumer: n });
        },
      });
      consumers.push(c);
      return c;
    };

    // Due times are deliberately not monotonic within a partition (Retry-After makes that
    // real): a later record must still wait behind an earlier one that is due later.
    const t0 = Date.now();
    const expected = new Map<string, number>();
    for (const [ti, topic] of topics.entries()) {
      const messages = Array.from({ length: 18 }, (_, i) => {
        const dueAtMs = t0 + 1_500 + ((i * 7 + ti * 3) % 11) * 450;
        return { key: `sub_${i % 6}`, value: `${ti}-${i}`, headers: dueAtHeaders(dueAtMs), partition: i % partitions };
      });
      // One record waits longer than the session timeout: the paused consumer must keep its membership.
      messages.push({ key: 'sub_long', value: `${ti}-long`, headers: dueAtHeaders(t0 + sessionTimeoutMs + 2_500), partition: 0 });
      const sent = await producer.send({ topic: topic.name, acks: -1, messages });
      expect(sent.length).toBeGreaterThan(0);
      messages.forEach((m) => expected.set(`${topic.name}/${m.value}`, Number(m.headers['fleethook-due-at-ms'])));
    }

    const first = start(1);
    await first.start();
    await waitFor(() => first.joins === 1, { what: 'first consumer joined' });
    await waitFor(() => first.waitingPartitions > 0, { what: 'a paused partition' });
    const second = start(2);
    await second.start();
    await waitFor(() => second.joins === 1 && first.joins === 2, { what: 'second consumer joined, first rejoined' });

    await waitFor(() => new Set(handed.map((r) => `${r.topic}/${r.value?.toString()}`)).size === expected.size, {
      timeoutMs: 25_000, what: `all ${expected.size} records handed over`,
    });

    // Never early: every hand-over, first or repeated, is at or after the due time in the header.
    for (const r of handed) {
      const dueAtMs = expected.get(`${r.topic}/${r.value?.toString()}`);
      expect(r.dueAtMs).toBe(dueAtMs);
      expect(r.handedOverAtMs).toBeGreaterThanOrEqual(dueAtMs as number);
    }
    // In offset order per partition (a repeat after a rebalance may only go back, then forward again).
    for (const topic of topics) {
      for (let p = 0; p < partitions; p += 1) {
        const firsts: bigint[] = [];
        for (const r of handed.filter((h) => h.topic === topic.name && h.partition === p)) {
          if (!firsts.includes(BigInt(r.offset))) firsts.push(BigInt(r.offset));
        }
        expect(firsts).toEqual([...firsts].sort((a, b) => (a < b ? -1 : 1)));
      }
    }
    // Both members did work, at-least-once repeats stay within a record per partition, and
    // the long wait did not cost the group a member (no lost record, no extra rebalance needed).
    expect(new Set(handed.map((r) => r.consumer))).toEqual(new Set([1, 2]));
    expect(handed.length - expected.size).toBeLessThanOrEqual(topics.length * partitions);
    expect([first.joins, second.joins]).toEqual([2, 1]);
  }, 40_000);
});
