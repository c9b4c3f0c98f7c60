import { Kafka, logLevel } from 'kafkajs';
import type { GroupConsumer } from '../../services/shared/kafka/kafka-port.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../services/shared/logger.js';
import { ConsumerSupervisor } from '../../services/shared/supervision/consumer-supervisor.js';
import type { SupervisionPolicy } from '../../services/shared/supervision/consumer-supervisor.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';

const policy: SupervisionPolicy = { restart: { initialMs: 100, maxMs: 400 }, stallAfterMs: 1_500, checkIntervalMs: 250 };

describe('ConsumerSupervisor on the real broker', () => {
  const kafka = new Kafka({ clientId: 'supervisor-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
  const client = kafkaClientOf(kafka);
  const logLines: string[] = [];
  const logger = createLogger('supervisor-test', { level: 'info', write: (l) => logLines.push(l) });
  const topics: string[] = [];
  const supervisors: ConsumerSupervisor[] = [];

  async function topicWith(values: readonly string[]): Promise<string> {
    const topic = uniqueName('sup');
    topics.push(topic);
    const admin = kafka.admin();
    await admin.connect();
    // Under load kafkajs' own leader wait can fail with "does not host this topic-partition": wait for the leader to answer instead.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await waitFor(() => admin.fetchTopicOffsets(topic).then(() => true), { timeoutMs: 30_000, intervalMs: 200, what: `leader of ${topic}` });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
    await producer.disconnect();
    return topic;
  }

  function supervise(topic: string, handle: (value: string, consumer: GroupConsumer) => Promise<void>, beforeRun: () => void = () => undefined): ConsumerSupervisor {
    const groupId = uniqueName('sup-group');
    const s = new ConsumerSupervisor({
      name: 'test', kafka: client, groupId, topics: [topic], logger, policy,
      create: () => client.consumer({ groupId, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000, maxWaitTimeMs: 100, retries: 0 }),
      run: async (consumer) => {
        beforeRun();
        await consumer.run({
          topics: [topic], fromBeginning: true, partitionsConsumedConcurrently: 1, autoCommit: { intervalMs: 0 },
          handler: { kind: 'record', eachRecord: async ({ message }) => handle(message.value?.toString() ?? '', consumer) },
        });
      },
    });
    supervisors.push(s);
    return s;
  }

  afterAll(async () => {
    await Promise.all(supervisors.map((s) => s.close()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('restarts a consumer that crashed for good (restart: false) and reads on from the committed offset', async () => {
    const topic = await topicWith(['r1', 'r2', 'r3', 'r4']);
    const handled: string[] = [];
    let failures = 0;
    const s = supervise(topic, async (value) => {
      // A plain error is not retriable for kafkajs: it crashes the consumer with restart: false, as the poison records did.
      if (value === 'r3' && failures < 2) {
        failures += 1;
        throw new RangeError('Invalid time value');
      }
      handled.push(value);
    });
    await s.start();
    await waitFor(() => handled.includes('r4'), { timeoutMs: 45_000, what: 'r4 handled after the restarts' });
    expect(failures).toBe(2);
    expect(s.status().restarts).toBe(2);
    expect(handled.filter((v) => v === 'r3')).toEqual(['r3']);
    expect(handled[0]).toBe('r1');
    expect(logLines.filter((l) => l.includes('consumer crashed'))).toHaveLength(2);
    await waitFor(() => s.ready(), { timeoutMs: 20_000, what: 'ready again' });
    expect(s.healthy()).toBe(true);
  }, 90_000);

  it('is not ready while a partition with records to read makes no progress, and ready again once it moves; idle is ready', async () => {
    const topic = await topicWith(['a1']);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    const s = supervise(topic, async (value) => {
      if (value === 'b2') await gate;
      handled.push(value);
    });
    await s.start();
    await waitFor(() => handled.includes('a1') && s.ready(), { timeoutMs: 30_000, what: 'a1 handled and ready' });
    // Idle (lag 0) for longer than the stall bound: still ready.
    await new Promise((r) => setTimeout(r, policy.stallAfterMs + 3 * policy.checkIntervalMs));
    expect(s.ready()).toBe(true);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'b2' }, { value: 'b3' }] });
    await producer.disconnect();
    await waitFor(() => !s.ready(), { timeoutMs: 20_000, what: 'not ready while stuck on b2' });
    expect(s.status().stalled).toEqual([expect.objectContaining({ topic, partition: 0, lag: 2 })]);
    expect(s.healthy()).toBe(true); // running, only stuck: not a reason to kill the process
    release();
    await waitFor(() => handled.includes('b3') && s.ready(), { timeoutMs: 20_000, what: 'ready once it moved' });
    expect(s.status().stalled).toEqual([]);
  }, 90_000);

  it('retries a restart whose run() rejects, with backoff, and is unhealthy while down longer than the stall bound', async () => {
    const topic = await topicWith(['c1', 'c2']);
    let runs = 0;
    let refuseRuns = false;
    const handled: string[] = [];
    const s = supervise(topic, async (value) => {
      if (value === 'c2' && handled.length === 1 && runs === 1) {
        refuseRuns = true;
        throw new TypeError('crash once');
      }
      handled.push(value);
    }, () => {
      runs += 1;
      if (refuseRuns) throw new Error('cannot run now');
    });
    await s.start();
    await waitFor(() => runs >= 4, { timeoutMs: 20_000, what: 'restarts that keep failing' });
    expect(s.ready()).toBe(false);
    await waitFor(() => !s.healthy(), { timeoutMs: 20_000, what: 'unhealthy while down' });
    expect(['restarting', 'starting']).toContain(s.status().state); // between attempts, or in one
    refuseRuns = false;
    await waitFor(() => handled.includes('c2') && s.ready() && s.healthy(), { timeoutMs: 30_000, what: 'back: c2 handled, ready and healthy' });
    expect(logLines.some((l) => l.includes('consumer restart failed') && l.includes('cannot run now'))).toBe(true);
  }, 90_000);
});
