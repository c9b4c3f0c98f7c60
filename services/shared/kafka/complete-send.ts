import { FleethookError } from '../errors.js';

/**
 * kafkajs 2.2.4 can resolve a send without writing some of its records. A send that spans
 * several partition leaders keeps each broker's answer across retries and only re-sends to
 * brokers without one. When a leader stops (a controlled shutdown answers
 * NOT_LEADER_OR_FOLLOWER) and its partition moves to a broker that already answered for
 * other partitions, the retry sends nothing for that partition, and the send resolves
 * "acknowledged" without it (tulios/kafkajs#1798, unreleased). Seen as whole ticks of
 * telemetry missing after a broker stop in the 3-broker chaos runs.
 *
 * Every answered partition is listed in the send's result, so the gap shows: the records
 * whose partition has no answer are sent again until every partition has one. The partition
 * kafkajs chose for each record is noted by the partitioner itself (the record object is
 * the one kafkajs partitions), so no partitioning is re-done here.
 */

/** The partition kafkajs' partitioner last chose for each record object. */
const chosenPartitions = new WeakMap<object, number>();

/** Wraps a kafkajs partitioner factory so every choice is noted for `unanswered`. */
export function recordingPartitioner<A extends { readonly message: object }>(createInner: () => (args: A) => number): () => (args: A) => number {
  return () => {
    const inner = createInner();
    return (args) => {
      const partition = inner(args);
      chosenPartitions.set(args.message, partition);
      return partition;
    };
  };
}

export interface SentTopic<M extends object> {
  readonly topic: string;
  readonly messages: readonly M[];
}

/** One partition's answer in a send's result (kafkajs' `RecordMetadata`, structurally). */
export interface PartitionAnswer {
  readonly topicName: string;
  readonly partition: number;
}

/**
 * The records of `sent` whose partition has no answer in `answers`, per topic (empty when
 * every partition answered). A record whose partition was never noted (a producer built
 * without `recordingPartitioner`) counts as answered: nothing can be told about it.
 */
export function unanswered<M extends object>(sent: readonly SentTopic<M>[], answers: readonly PartitionAnswer[]): SentTopic<M>[] {
  // Per-record work is one WeakMap and one Set lookup: this runs on every send of the hot path.
  const answered = new Map<string, Set<number>>();
  for (const a of answers) {
    let partitions = answered.get(a.topicName);
    if (partitions === undefined) answered.set(a.topicName, (partitions = new Set()));
    partitions.add(a.partition);
  }
  const left: SentTopic<M>[] = [];
  for (const { topic, messages } of sent) {
    const partitions = answered.get(topic) ?? new Set<number>();
    const missing = messages.filter((m) => {
      const partition = chosenPartitions.get(m);
      return partition !== undefined && !partitions.has(partition);
    });
    if (missing.length > 0) left.push({ topic, messages: missing });
  }
  return left;
}

/** Rounds of re-sending before the send fails (and its caller retries it, as for any cluster error). */
const maxRounds = 5;

function incompleteSend(partitions: readonly string[]): FleethookError {
  return new FleethookError('KAFKA_SEND_INCOMPLETE', `the brokers acknowledged a send without partitions ${partitions.join(', ')} after ${maxRounds} rounds`, { retriable: true });
}

/**
 * Sends, then re-sends what no partition answered for, until every record's partition has
 * an answer. Records of one partition stay in order: a partition is either answered whole
 * or sent again whole, before this call returns.
 */
export async function sendCompletely<M extends object, R extends PartitionAnswer>(
  send: (topics: readonly SentTopic<M>[]) => Promise<R[]>,
  topics: readonly SentTopic<M>[],
  onResend?: (left: readonly SentTopic<M>[]) => void,
): Promise<R[]> {
  const answers: R[] = [];
  let pending = topics;
  for (let round = 1; ; round++) {
    answers.push(...(await send(pending)));
    const left = unanswered(pending, answers);
    if (left.length === 0) return answers;
    if (round >= maxRounds) {
      throw incompleteSend(left.flatMap((t) => [...new Set(t.messages.map((m) => `${t.topic}[${String(chosenPartitions.get(m))}]`))]));
    }
    onResend?.(left);
    pending = left;
  }
}
