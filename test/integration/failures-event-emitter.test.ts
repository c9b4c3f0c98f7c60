import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFailureEvent } from '../../schemas/failure-event.js';
import type { FailureEvent } from '../../schemas/failure-event.js';
import { topicCatalogue } from '../../schemas/topics.js';
import { FailureEventEmitter } from '../../services/shared/failures/failure-event-emitter.js';
import { producerOf, reliableProducerConfig } from '../../services/shared/kafka/kafkajs-adapter.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';

describe('failure event emitter (real broker)', () => {
  const kafka = new Kafka({ clientId: 'failures-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
  const prefix = `${uniqueName('fev')}.`;
  const failures = topicCatalogue({ prefix, partitions: { webhook: 3 } }).get('webhook.failures');
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer(reliableProducerConfig);

  beforeAll(async () => {
    await admin.connect();
    // A fresh topic's leader can take a moment to appear in metadata; creating again is a no-op.
    await waitFor(async () => {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: failures.name, numPartitions: failures.partitions, replicationFactor: 1,
          configEntries: Object.entries(failures.configs).map(([name, value]) => ({ name, value })) }],
      });
      for (const t of [failures]) await admin.fetchTopicOffsets(t.name);
      return true;
    }, { timeoutMs: 30_000, intervalMs: 300, what: 'test topics with leaders' });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [failures.name] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('writes a subscription\'s events to webhook.failures keyed by its id, in order, without URL credentials', async () => {
    const emitter = new FailureEventEmitter(producerOf(producer), failures.name);
    const subject = {
      id: 'sub_000000000bbbbbbbbbbbbbbbb', accountId: 'acc_beta', name: 'DTC feed', url: 'https://bob:hunter2@hooks.example/dtc',
      alertEmails: ['fleet@example.com'], retryPolicy: 'standard-7d' as const,
    };
    const failure = { firstFailureAtMs: Date.now(), lastError: 'connection refused', lastStatusCode: null, backlogSize: 3, retryCount: 0 };
    const sent = [
      await emitter.emit(subject, { kind: 'parked', failure, nextRetryAtMs: Date.now() + 300_000 }),
      await emitter.emit(subject, { kind: 'still_failing', failure: { ...failure, retryCount: 1 }, nextRetryAtMs: Date.now() + 900_000 }),
      await emitter.emit(subject, { kind: 'recovered', retryCount: 2, backlogSize: 3 }),
    ];

    const received: Array<{ key: string; partition: number; event: FailureEvent }> = [];
    const consumer = kafka.consumer({ groupId: `${prefix}reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: failures.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const decoded = decodeFailureEvent(message.value);
        if (decoded.kind === 'ok') received.push({ key: message.key?.toString() ?? '', partition, event: decoded.event });
      },
    });
    try {
      await waitFor(() => received.length >= 3, { timeoutMs: 20_000, what: 'three failure events' });
    } finally {
      await consumer.disconnect();
    }
    expect(received.map((r) => r.event)).toEqual(sent);
    expect(new Set(received.map((r) => r.key))).toEqual(new Set([subject.id]));
    expect(new Set(received.map((r) => r.partition)).size).toBe(1);
    expect(received.map((r) => r.event.kind)).toEqual(['parked', 'still_failing', 'recovered']);
    for (const r of received) expect(r.event.url).toBe('https://hooks.example/dtc');
  });
});
