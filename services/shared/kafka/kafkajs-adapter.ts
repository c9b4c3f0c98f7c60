import { promisify } from 'node:util';
import { constants as zlibConstants, gzip, unzip } from 'node:zlib';
import type { Admin, Consumer, LogEntry, Message, PartitionAssigner, Producer, ProducerConfig, RecordMetadata } from 'kafkajs';
import type { Logger } from '../logger.js';
import { coPartitionedAssignerName, planCoPartitioned } from './co-partitioned-plan.js';
import { memoizedPartitioner } from './memoized-partitioner.js';
import { loadKafkaJs } from './kafkajs-internals.js';
import type {
  ConsumerSettings, GroupConsumer, KafkaAdmin, KafkaClient, OutgoingRecord, RecordProducer, RunSettings, TopicRecords, WrittenRecords,
} from './kafka-port.js';

// kafkajs is CommonJS, loaded (not imported) after fleethook's replacements of its hot internals are in place.
const kafkajs = loadKafkaJs();
const { AssignerProtocol, CompressionCodecs, CompressionTypes, ConfigResourceTypes, Kafka, Partitioners, logLevel } = kafkajs;
type KafkaJs = InstanceType<typeof Kafka>;

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);
/**
 * Gzip at zlib's fastest level (kafkajs' codec uses the default, 6). The delivery log
 * compresses every request body: at level 6 that cost ~5 µs of CPU per item (a tenth of the
 * dispatcher's), at level 1 a third less, for batches ~11 % larger. Reading is unchanged.
 */
CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: (encoder: { readonly buffer: Buffer }) => gzipAsync(encoder.buffer, { level: zlibConstants.Z_BEST_SPEED }),
  decompress: (buffer: Buffer) => unzipAsync(buffer),
});

/** kafkajs' ack setting for "all in-sync replicas", required by the idempotent producer. */
const acksAll = -1;

/**
 * Producer settings for every record fleethook writes:
 * - idempotent, which kafkajs pairs with acks=-1 on every send and unlimited retries;
 * - one request in flight per broker connection, so a partition's batches reach the broker
 *   in sequence order (kafkajs as patched gives a send's records their sequence numbers
 *   once and keeps them through its retries: patches/kafkajs+2.2.4.patch);
 * - the Java-compatible murmur2 partitioner pinned explicitly (kafkajs' default since
 *   v2, but named here so a dependency change cannot silently re-shuffle vehicles);
 * - no auto-creation: topics come from the catalogue (`npm run topics`).
 */
export const reliableProducerConfig: ProducerConfig = {
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
};

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs' own log lines go here (warnings and errors only unless `verbose`); none are written without a logger. */
  readonly logger?: Logger;
  readonly verbose?: boolean;
}

/** The Kafka client every service uses. */
export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  const log = options.logger?.child({ component: 'kafkajs' });
  return kafkaClientOf(new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: log === undefined ? logLevel.NOTHING : options.verbose === true ? logLevel.INFO : logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (log === undefined) return;
      const { message, ...fields } = entry.log;
      const record = { namespace: entry.namespace, ...fields };
      if (entry.level <= logLevel.ERROR) log.error(message, record);
      else if (entry.level === logLevel.WARN) log.warn(message, record);
      else log.info(message, record);
    },
  }));
}

/** Protocol errors after which an idempotent producer's sequence state is lost: only a new producer id writes again. */
const lostSequenceErrors = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

function lostSequence(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const { type, cause } = e as { type?: unknown; cause?: unknown };
    if (typeof type === 'string' && lostSequenceErrors.has(type)) return true;
    e = cause;
  }
  return false;
}

/**
 * A producer that replaces its kafkajs producer after a send fails because the broker lost
 * its sequence state (seen when a partition leader's broker dies mid-send: every later send
 * of that producer is refused "out of order", and a consumer retrying its batch would crash
 * forever). The failed send still fails (the caller retries it); the next one goes through a
 * new producer id. At-least-once: what the failed send may have written can be written again.
 */
export function renewingProducer(make: () => Producer): RecordProducer {
  let current = producerOf(make());
  let connected = false;
  let renewing: Promise<void> | null = null;
  const renew = (broken: RecordProducer): Promise<void> => {
    if (current !== broken) return renewing ?? Promise.resolve();
    const next = producerOf(make());
    current = next;
    renewing = (async () => {
      await broken.disconnect().catch(() => undefined);
      if (connected) await next.connect();
    })().finally(() => { renewing = null; });
    return renewing;
  };
  const using = async <T>(op: (p: RecordProducer) => Promise<T>): Promise<T> => {
    if (renewing !== null) await renewing;
    const p = current;
    try {
      return await op(p);
    } catch (err) {
      if (lostSequence(err)) await renew(p).catch(() => undefined);
      throw err;
    }
  };
  return {
    connect: async () => {
      connected = true;
      await current.connect();
    },
    disconnect: async () => {
      connected = false;
      await current.disconnect();
    },
    send: (topic, messages) => using((p) => p.send(topic, messages)),
    sendBatch: (topics, options) => using((p) => p.sendBatch(topics, options)),
  };
}

/** The port over an existing kafkajs client (tests and benchmarks that also use kafkajs directly). */
export function kafkaClientOf(kafka: KafkaJs): KafkaClient {
  return {
    producer: (options) => renewingProducer(() => kafka.producer(options?.rememberKeyPartitions === true
      ? { ...reliableProducerConfig, createPartitioner: memoizedPartitioner(Partitioners.DefaultPartitioner) }
      : reliableProducerConfig)),
    admin: (options) => adminOf(kafka.admin(options?.retries === undefined ? undefined : { retry: { retries: options.retries } })),
    consumer: (settings) => consumerOf(kafka, settings),
  };
}

function toMessage(r: OutgoingRecord): Message {
  // Our headers are read-only views of the same shape kafkajs takes.
  return r as Message;
}

function written(rows: readonly RecordMetadata[]): WrittenRecords[] {
  return rows.map((m) => ({ topic: m.topicName, partition: m.partition, baseOffset: m.baseOffset }));
}

/** The port over a kafkajs producer a test already has (it should be built with `reliableProducerConfig`). */
export function producerOf(producer: Producer): RecordProducer {
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send: async (topic, messages) => written(await producer.send({ topic, acks: acksAll, messages: messages.map(toMessage) })),
    sendBatch: async (topics: readonly TopicRecords[], options) => written(await producer.sendBatch({
      topicMessages: topics.map((t) => ({ topic: t.topic, messages: t.messages.map(toMessage) })),
      acks: acksAll,
      compression: options?.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    })),
  };
}

/** The port over a kafkajs admin a test already has (connected or not). */
export function adminOf(admin: Admin): KafkaAdmin {
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    listTopics: () => admin.listTopics(),
    topicMetadata: async (topics) => (await admin.fetchTopicMetadata({ topics: [...topics] })).topics,
    topicConfigs: async (topics, configNames) => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [...configNames] })),
      });
      return new Map(resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    },
    createTopics: async (topics) => {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({
          topic: t.topic, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    },
    replaceTopicConfigs: async (topics) => {
      await admin.alterConfigs({
        validateOnly: false,
        resources: topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic, configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })) })),
      });
    },
    deleteTopics: (topics) => admin.deleteTopics({ topics: [...topics] }),
    watermarks: (topic) => admin.fetchTopicOffsets(topic),
    offsetsAt: (topic, timestampMs) => admin.fetchTopicOffsetsByTimestamp(topic, timestampMs),
    committedOffsets: (groupId, topics) => admin.fetchOffsets({ groupId, topics: [...topics] }),
  };
}

function consumerOf(kafka: KafkaJs, s: ConsumerSettings): GroupConsumer {
  const consumer: Consumer = kafka.consumer({
    groupId: s.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: s.sessionTimeoutMs,
    heartbeatInterval: s.heartbeatIntervalMs,
    maxWaitTimeInMs: s.maxWaitTimeMs ?? s.heartbeatIntervalMs,
    ...(s.assignment === 'co-partitioned' ? { partitionAssigners: [coPartitionedAssigner] } : {}),
    ...(s.retries === undefined ? {} : { retry: { retries: s.retries } }),
  });
  return {
    connect: () => consumer.connect(),
    disconnect: () => consumer.disconnect(),
    run: (r) => run(consumer, r),
    pause: (topic, partitions) => consumer.pause([{ topic, partitions: [...partitions] }]),
    resume: (topic, partitions) => consumer.resume([{ topic, partitions: [...partitions] }]),
    seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
    commit: (offsets) => consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))),
    onJoin: (listener) => void consumer.on(consumer.events.GROUP_JOIN, (e) => listener(e.payload.memberAssignment)),
    onRebalancing: (listener) => void consumer.on(consumer.events.REBALANCING, () => listener()),
    onCrash: (listener) => void consumer.on(consumer.events.CRASH, (e) => listener({ error: e.payload.error, restarting: e.payload.restart })),
  };
}

async function run(consumer: Consumer, r: RunSettings): Promise<void> {
  await consumer.subscribe({ topics: [...r.topics], fromBeginning: r.fromBeginning });
  const commit = r.autoCommit === null ? { autoCommit: false } : { autoCommit: true, autoCommitInterval: r.autoCommit.intervalMs };
  const h = r.handler;
  if (h.kind === 'batch') {
    await consumer.run({
      ...commit, partitionsConsumedConcurrently: r.partitionsConsumedConcurrently, eachBatchAutoResolve: r.resolveBatchOnReturn ?? false,
      // kafkajs' batch and messages already have the port's shape: handed over as they are, no copy.
      eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => h.eachBatch(batch, { resolveOffset, heartbeat, isRunning, isStale }),
    });
  } else {
    await consumer.run({
      ...commit, partitionsConsumedConcurrently: r.partitionsConsumedConcurrently,
      eachMessage: ({ topic, partition, message, heartbeat }) => h.eachRecord({ topic, partition, message, heartbeat }),
    });
  }
}

/** The co-partitioned plan as a kafkajs assigner: partition N of every subscribed topic to one member (exported for tests that join the group with kafkajs). */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: coPartitionedAssignerName,
  version: 0,
  async assign({ members, topics }) {
    const partitionsByTopic: Record<string, number[]> = {};
    for (const topic of topics) partitionsByTopic[topic] = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
    const plan = planCoPartitioned(members.map((m) => m.memberId), partitionsByTopic);
    return [...plan].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: coPartitionedAssignerName, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
