/**
 * The Kafka operations fleethook uses, in its own terms. Services and shared code depend
 * on these interfaces only; `kafkajs-adapter.ts` is the one implementation (and the only
 * file under `services/` that imports kafkajs), so replacing the client touches one module.
 * Offsets are decimal strings, as on the wire (int64 does not fit a JS number exactly).
 */

export type HeaderValue = Buffer | string;
export type RecordHeaders = Readonly<Record<string, HeaderValue | readonly HeaderValue[] | undefined>>;

/** A record read from a partition. */
export interface ConsumedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: RecordHeaders;
  /** Kafka timestamp, epoch ms as a decimal string. */
  readonly timestamp: string;
}

/** A record to write. Without `partition` it goes where the Java-compatible murmur2 partitioner puts its key. */
export interface OutgoingRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: RecordHeaders;
  readonly partition?: number;
  /** Epoch ms as a decimal string; the broker's time when absent. */
  readonly timestamp?: string;
}

export interface TopicRecords {
  readonly topic: string;
  readonly messages: readonly OutgoingRecord[];
}

/** Where the records of one partition of a send landed: `baseOffset` is the first one's. */
export interface WrittenRecords {
  readonly topic: string;
  readonly partition: number;
  readonly baseOffset: string | undefined;
}

export type Compression = 'none' | 'gzip';

/**
 * Writes records. Every producer is idempotent with acks=all on every send and one request
 * in flight (sequence numbers stay exact across retries), never auto-creates a topic, and
 * pins the murmur2 partitioner. A send resolves once all in-sync replicas have the records.
 */
export interface RecordProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(topic: string, messages: readonly OutgoingRecord[]): Promise<WrittenRecords[]>;
  /** Several topics in one request. */
  sendBatch(topics: readonly TopicRecords[], options?: { readonly compression?: Compression }): Promise<WrittenRecords[]>;
}

export interface PartitionWatermarks {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

export interface GroupOffsets {
  readonly topic: string;
  /** `offset` is "-1" where the group has committed nothing. */
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

export interface TopicMetadata {
  readonly name: string;
  readonly partitions: readonly { readonly partitionId: number; readonly leader: number; readonly partitionErrorCode: number }[];
}

export interface NewTopic {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

/** Cluster administration and offset look-ups. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  topicMetadata(topics: readonly string[]): Promise<TopicMetadata[]>;
  /** Topic configs by topic name (only the names asked for, as the broker reports them). */
  topicConfigs(topics: readonly string[], configNames: readonly string[]): Promise<Map<string, Record<string, string>>>;
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /** Replaces each topic's dynamic configs with the full set given (AlterConfigs, not incremental). */
  replaceTopicConfigs(topics: readonly { readonly topic: string; readonly configs: Readonly<Record<string, string>> }[]): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  watermarks(topic: string): Promise<PartitionWatermarks[]>;
  /** Per partition, the first offset whose timestamp is at or after `timestampMs` (the high watermark when none). */
  offsetsAt(topic: string, timestampMs: number): Promise<{ readonly partition: number; readonly offset: string }[]>;
  committedOffsets(groupId: string, topics: readonly string[]): Promise<GroupOffsets[]>;
}

/** One partition's fetched records, in offset order. */
export interface FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: readonly ConsumedRecord[];
  /** The last offset the fetch covered (compaction can leave it past the last message). */
  lastOffset(): string;
}

export interface BatchContext {
  /** Marks `offset` consumed: with auto-commit on, it is committed on the next interval. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** The batch was fetched before a rebalance or seek: its records are no longer this generation's. */
  isStale(): boolean;
}

export interface RecordContext {
  readonly topic: string;
  readonly partition: number;
  readonly message: ConsumedRecord;
  heartbeat(): Promise<void>;
}

export type ConsumeHandler =
  | { readonly kind: 'batch'; readonly eachBatch: (batch: FetchedBatch, ctx: BatchContext) => Promise<void> }
  /** One record at a time per partition; its offset counts as consumed once the handler resolves. */
  | { readonly kind: 'record'; readonly eachRecord: (ctx: RecordContext) => Promise<void> };

export interface ConsumerSettings {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /**
   * The fetch long-poll; shorter means a resumed partition is read sooner. Default: the
   * heartbeat interval. kafkajs heartbeats between fetches only, so on idle partitions a
   * longer poll delays the heartbeat that tells a member a rebalance began (a dead member's
   * partitions then wait that much longer than its session timeout).
   */
  readonly maxWaitTimeMs?: number;
  /** Partition N of every subscribed topic goes to one member (`co-partitioned-plan.ts`). */
  readonly assignment?: 'default' | 'co-partitioned';
  /** The client's own retries of a failing request before the consumer crashes (its default when absent). */
  readonly retries?: number;
}

export interface RunSettings {
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts. */
  readonly fromBeginning: boolean;
  readonly partitionsConsumedConcurrently: number;
  /** Resolved offsets committed every `intervalMs`; null: only `commit` commits. */
  readonly autoCommit: { readonly intervalMs: number } | null;
  /** With a batch handler: every record of a batch counts as consumed when the handler returns. */
  readonly resolveBatchOnReturn?: boolean;
  readonly handler: ConsumeHandler;
}

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: string;
}

/** Partitions assigned to this member, by topic. */
export type Assignment = Readonly<Record<string, readonly number[]>>;

export interface GroupConsumerEvents {
  /** Joined a new generation with this assignment (before any of its batches is handled). */
  onJoin(listener: (assignment: Assignment) => void): void;
  /** A rebalance is starting: the last chance to commit this generation's offsets. */
  onRebalancing(listener: () => void): void;
  /** The consumer failed; `restarting` when the client restarts it itself, false when it stopped for good. */
  onCrash(listener: (crash: { readonly error: unknown; readonly restarting: boolean }) => void): void;
}

/**
 * One member of a consumer group, one incarnation (`disconnect` ends it for good).
 * Pause state is kept by the client across rebalances: whoever pauses must resume.
 */
export interface GroupConsumer extends GroupConsumerEvents {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Subscribes and starts fetching; resolves once running. */
  run(settings: RunSettings): Promise<void>;
  pause(topic: string, partitions: readonly number[]): void;
  resume(topic: string, partitions: readonly number[]): void;
  /** The next fetch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: string): void;
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
}

/** The entry point: a configured client that makes producers, admins and consumers. */
export interface KafkaClient {
  /** `rememberKeyPartitions`: a key's partition is computed once per topic (for writers with few distinct keys, e.g. subscription ids). */
  producer(options?: { readonly rememberKeyPartitions?: boolean }): RecordProducer;
  /** `retries`: the client's own retries per request (0 for a caller that retries itself). */
  admin(options?: { readonly retries?: number }): KafkaAdmin;
  consumer(settings: ConsumerSettings): GroupConsumer;
}
