import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// The retry loop of kafkajs' producer as patched by patches/kafkajs+2.2.4.patch, driven by
// fake brokers (a pure unit: no Kafka). The real-cluster check is test/cluster/cluster-replication.
const require = createRequire(import.meta.url);
const createSendMessages = require('kafkajs/src/producer/sendMessages.js') as (o: object) => (r: object) => Promise<Answer[]>;
const createRetry = require('kafkajs/src/retry/index.js') as (o: object) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };
const { KafkaJSConnectionError } = require('kafkajs/src/errors.js') as { KafkaJSConnectionError: new (message: string) => Error };

interface Answer { readonly topicName: string; readonly partition: number }
interface Produced { readonly nodeId: number; readonly partition: number; readonly firstSequence: number; readonly values: string[] }
/**
 * What a fake broker does with a request: write it (undefined), fail it unwritten (throw),
 * 'lost-answer' (write it, then fail it: a timeout after the write), or answer some
 * partitions with an error code (the others are written), as a Produce response does.
 */
type ProduceBehaviour = (partitions: number[]) => Promise<void | 'lost-answer' | { readonly errors: Record<number, number> }>;
interface ProduceRequest { topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[] }

const notLeader = (): Error => createErrorFromCode(6); // NOT_LEADER_FOR_PARTITION: retriable, stale metadata
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Two brokers, one topic `t`; `leaders[p]` is partition p's leader, `afterRefresh` the leaders once metadata is refreshed. */
function fakeCluster(leaders: number[], afterRefresh: number[], behaviour: Record<number, ProduceBehaviour>) {
  let current = [...leaders];
  const produced: Produced[] = [];
  const brokers = new Map<number, object>();
  const locks = new Map<object, Promise<void>>();
  const release = new Map<object, () => void>();
  const sequences = new Map<number, number>();
  const broker = (nodeId: number): object => {
    if (!brokers.has(nodeId)) {
      brokers.set(nodeId, {
        nodeId,
        async produce({ topicData }: ProduceRequest) {
          const parts = topicData.flatMap((t) => t.partitions);
          const outcome = await (behaviour[nodeId] ?? (async () => undefined))(parts.map((p) => p.partition));
          const errors = typeof outcome === 'object' ? outcome.errors : {};
          for (const p of parts) {
            if (errors[p.partition] === undefined) produced.push({ nodeId, partition: p.partition, firstSequence: p.firstSequence, values: p.messages.map((m) => m.value) });
          }
          if (outcome === 'lost-answer') throw new KafkaJSConnectionError('Connection error: the broker went away before answering');
          const response = { topics: [{ topicName: 't', partitions: parts.map((p) => ({ partition: p.partition, errorCode: errors[p.partition] ?? 0, baseOffset: '0' })) }] };
          const failed = Object.values(errors)[0];
          // As the patched Produce response parser throws: the first error, with the whole answer.
          if (failed !== undefined) throw Object.assign(createErrorFromCode(failed), { produceResponse: response });
          return response;
        },
      });
    }
    return brokers.get(nodeId) as object;
  };
  const cluster = {
    targetTopics: new Set<string>(),
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() { current = [...afterRefresh]; },
    async addMultipleTargetTopics() {},
    isConnected: () => true,
    removeBroker() {},
    findTopicPartitionMetadata: () => current.map((leader, partitionId) => ({ partitionId, leader })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => partitions.reduce<Record<number, number[]>>((out, id) => {
      const p = Number(id);
      const leader = current[p] as number;
      return { ...out, [leader]: [...(out[leader] ?? []), p] };
    }, {}),
    findBroker: async ({ nodeId }: { nodeId: string }) => broker(Number(nodeId)),
  };
  const eosManager = {
    isTransactional: () => false,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
    getSequence: (_t: string, p: number) => sequences.get(p) ?? 0,
    updateSequence: (_t: string, p: number, n: number) => void sequences.set(p, (sequences.get(p) ?? 0) + n),
    async acquireBrokerLock(b: object) {
      while (locks.has(b)) await locks.get(b);
      locks.set(b, new Promise<void>((r) => release.set(b, r)));
    },
    async releaseBrokerLock(b: object) {
      locks.delete(b);
      release.get(b)?.();
    },
  };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const send = createSendMessages({
    logger, cluster, eosManager,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    retrier: createRetry({ retries: 5, initialRetryTime: 5, maxRetryTime: 20 }),
  });
  return { send, produced };
}

const messages = (count: number, prefix = 'v'): { partition: number; value: string }[] => Array.from({ length: count }, (_, i) => ({ partition: i % 2, value: `${prefix}${i}` }));

/** A broker that takes 10 ms per request and loses its first answer (the request is written). */
function answerLostOnce(): ProduceBehaviour {
  let lost = 1;
  return async () => {
    await sleep(10);
    return lost-- > 0 ? 'lost-answer' : undefined;
  };
}

/** Two writes under one partition's sequence number with different records: the broker keeps the first and drops the second as a retry of it. */
function reusedSequences(produced: readonly Produced[]): string[] {
  const first = new Map<string, string>();
  const clashes: string[] = [];
  for (const p of produced) {
    const at = `partition ${p.partition} seq ${p.firstSequence}`;
    const values = p.values.join(',');
    if (first.has(at) && first.get(at) !== values) clashes.push(`${at}: ${first.get(at)} then ${values}`);
    if (!first.has(at)) first.set(at, values);
  }
  return clashes;
}

describe('kafkajs send retries (patched)', () => {
  it('sends a partition whose leader moved mid-send to a broker that had already answered', async () => {
    let failures = 1;
    const { send, produced } = fakeCluster([1, 2], [1, 1], {
      2: async () => {
        if (failures-- > 0) throw notLeader();
      },
    });
    const answers = await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4) }] });
    expect(answers.map((a) => a.partition).sort()).toEqual([0, 1]);
    // Upstream kafkajs sent partition 1 nowhere: broker 1 had answered, broker 2 led nothing any more.
    expect(produced.filter((p) => p.partition === 1)).toEqual([{ nodeId: 1, partition: 1, firstSequence: 0, values: ['v1', 'v3'] }]);
  });

  it('starts no retry while a request of the failed attempt is in flight, so nothing is written twice', async () => {
    const { send, produced } = fakeCluster([1, 2], [1, 2], {
      1: (() => {
        let failures = 1;
        return async () => {
          if (failures-- > 0) throw notLeader();
        };
      })(),
      // Broker 2 answers after the retry delay: upstream's next attempt had already queued partition 1 again.
      2: () => sleep(60),
    });
    await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4) }] });
    const partition1 = produced.filter((p) => p.partition === 1);
    expect(partition1, 'partition 1 written once').toHaveLength(1);
    expect(produced.filter((p) => p.partition === 0)).toEqual([{ nodeId: 1, partition: 0, firstSequence: 0, values: ['v0', 'v2'] }]);
  });

  it('re-sends a written but unanswered request under the same sequence numbers, so the broker can drop the copy', async () => {
    let lost = 1;
    const { send, produced } = fakeCluster([1, 1], [1, 1], { 1: async () => (lost-- > 0 ? 'lost-answer' : undefined) });
    await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4) }] });
    expect(produced.filter((p) => p.partition === 0)).toEqual([
      { nodeId: 1, partition: 0, firstSequence: 0, values: ['v0', 'v2'] },
      { nodeId: 1, partition: 0, firstSequence: 0, values: ['v0', 'v2'] },
    ]);
  });

  it('never gives the sequence numbers of a send that failed for good (it may have been written) to the next send', async () => {
    let lost = 6; // more than the 5 retries
    const { send, produced } = fakeCluster([1, 1], [1, 1], { 1: async () => (lost-- > 0 ? 'lost-answer' : undefined) });
    await expect(send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4, 'a') }] })).rejects.toThrow(/went away/);
    await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4, 'b') }] });
    // Upstream rolled the failed send's numbers back: 'b0,b2' went out as seq 0 too, and a broker that had written 'a0,a2' dropped them.
    expect(reusedSequences(produced)).toEqual([]);
    expect(produced.filter((p) => p.partition === 0 && p.values[0] === 'b0')).toEqual([{ nodeId: 1, partition: 0, firstSequence: 2, values: ['b0', 'b2'] }]);
  });

  it('gives back the numbers of a send the broker refused for good (nothing written): the next send leaves no gap', async () => {
    const messageTooLarge = 10;
    let refusals = 1;
    const { send, produced } = fakeCluster([1, 1], [1, 1], { 1: async (parts) => (refusals-- > 0 ? { errors: Object.fromEntries(parts.map((p) => [p, messageTooLarge])) } : undefined) });
    await expect(send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4, 'a') }] })).rejects.toThrow(/larger/i);
    await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4, 'b') }] });
    expect(produced).toEqual([
      { nodeId: 1, partition: 0, firstSequence: 0, values: ['b0', 'b2'] },
      { nodeId: 1, partition: 1, firstSequence: 0, values: ['b1', 'b3'] },
    ]);
  });

  it('takes the partitions a failed answer wrote as answered (not sent again, numbers kept) and retries the others under their numbers', async () => {
    let failures = 1;
    const { send, produced } = fakeCluster([1, 1], [1, 1], { 1: async () => (failures-- > 0 ? { errors: { 1: 6 } } : undefined) });
    const answers = await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4) }] });
    expect(answers.map((a) => a.partition).sort()).toEqual([0, 1]);
    expect(produced).toEqual([
      { nodeId: 1, partition: 0, firstSequence: 0, values: ['v0', 'v2'] },
      { nodeId: 1, partition: 1, firstSequence: 0, values: ['v1', 'v3'] },
    ]);
    await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(2, 'n') }] });
    expect(produced.slice(2).map((p) => p.firstSequence)).toEqual([2, 2]);
  });

  it('makes a send wait for an earlier send of the same partition to end, its retries included, so batches arrive in sequence order', async () => {
    const { send, produced } = fakeCluster([1, 2], [1, 2], { 1: answerLostOnce() });
    // a: partitions 0 and 1 (brokers 1 and 2); b: partition 0 only. b must not reach broker 1 between a's attempts.
    await Promise.all([
      send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(2, 'a') }] }),
      (async () => {
        await sleep(1);
        await send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: [{ partition: 0, value: 'b0' }] }] });
      })(),
    ]);
    expect(produced.filter((p) => p.partition === 0).map((p) => `${p.values.join(',')}@${p.firstSequence}`)).toEqual(['a0@0', 'a0@0', 'b0@1']);
  });

  it('never gives the sequence numbers of an unanswered request to a concurrent send waiting for the same broker', async () => {
    const { send, produced } = fakeCluster([1, 1], [1, 1], { 1: answerLostOnce() });
    await Promise.all([
      send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4, 'a') }] }),
      send({ acks: -1, timeout: 1_000, topicMessages: [{ topic: 't', messages: messages(4, 'b') }] }),
    ]);
    expect(reusedSequences(produced)).toEqual([]);
    // Each send's records went out under one set of numbers, however often they were sent.
    for (const prefix of ['a', 'b']) {
      const seqs = new Set(produced.filter((p) => p.partition === 0 && p.values[0] === `${prefix}0`).map((p) => p.firstSequence));
      expect(seqs.size, prefix).toBe(1);
    }
  });

  it("reads a Produce answer with an error as kafkajs' (patched) parser throws it: the first error, with every partition's answer", async () => {
    const { parse } = require('kafkajs/src/protocol/requests/produce/v7/response.js') as { parse(d: object): Promise<unknown> };
    const data = { topics: [{ topicName: 't', partitions: [{ partition: 0, errorCode: 0, baseOffset: '7' }, { partition: 1, errorCode: 6, baseOffset: '-1' }] }] };
    const error = await parse(data).then(() => null, (e: unknown) => e as { type: string; produceResponse: unknown });
    expect(error?.type).toBe('NOT_LEADER_FOR_PARTITION');
    expect(error?.produceResponse).toBe(data);
  });
});
