import type { Logger } from '../logger.js';
import { ConsumerSupervisor } from '../supervision/consumer-supervisor.js';
import type { SupervisionObserver, SupervisionPolicy, SupervisionStatus } from '../supervision/consumer-supervisor.js';
import { CommitFloors } from './commit-floors.js';
import type { Assignment, ConsumerSettings, GroupConsumer, KafkaAdmin, KafkaClient, PartitionWatermarks, RunSettings, TopicPartitionOffset } from './kafka-port.js';
import { PauseReasons } from './pause-reasons.js';
import type { PauseReason } from './pause-reasons.js';

export interface PartitionedConsumerOptions {
  readonly client: KafkaClient;
  /** A short, bounded name for logs and metric labels (`match`, `deliveries`, `failures`). */
  readonly name: string;
  /** The group's settings; called for each incarnation (a reader may take a group of its own each time). */
  readonly settings: () => ConsumerSettings;
  readonly run: RunSettings;
  readonly logger: Logger;
  /** Topics whose assigned partitions are watched for stalls ([]: none, when a commit may rest by design). */
  readonly watchTopics: readonly string[];
  readonly supervision?: SupervisionPolicy;
  readonly observer?: SupervisionObserver;
  /** A new consumer replaces the last (the first start, or after a crash): what the old one owned is gone. */
  readonly onIncarnation?: () => void;
  /** A new generation: called before any of its batches, after every pause of the last one was lifted. */
  readonly onAssigned?: (assignment: Assignment, generation: number) => void;
  /** A rebalance begins: the last moment to commit the current generation's work. */
  readonly onRebalancing?: () => void;
}

/** Where a partition's log starts and ends, and where the group has committed (-1: nothing). */
export interface PartitionPositions {
  readonly partition: number;
  readonly low: bigint;
  readonly high: bigint;
  readonly committed: bigint;
}

/**
 * The one lifecycle of every fleethook consumer: a group member kept alive by a
 * `ConsumerSupervisor` (restart with backoff, stall watch), generations (each join gets a
 * number and its assignment), pauses with reasons (a partition stays paused while any
 * reason holds), commits that never move a partition back (`CommitFloors`), the offsets a
 * catch-up needs (`positions`), and an idempotent close. The client keeps a pause across
 * rebalances; a new generation therefore resumes every partition the last one paused or
 * owned and the new one owns, and owners pause again for their own reasons.
 */
export class PartitionedConsumer {
  private readonly supervisor: ConsumerSupervisor;
  private readonly admin: KafkaAdmin;
  private consumer: GroupConsumer | null = null;
  private groupId: string;
  private readonly pauses = new PauseReasons();
  private floors = new CommitFloors();
  private generationNo = 0;
  private current: Assignment = {};
  private closing: Promise<void> | undefined;

  constructor(private readonly o: PartitionedConsumerOptions) {
    this.groupId = o.settings().groupId;
    this.admin = o.client.admin();
    this.supervisor = new ConsumerSupervisor({
      name: o.name, kafka: o.client, groupId: this.groupId, topics: o.watchTopics, logger: o.logger,
      ...(o.supervision === undefined ? {} : { policy: o.supervision }), ...(o.observer === undefined ? {} : { observer: o.observer }),
      create: () => this.incarnation(),
      run: (consumer) => consumer.run(o.run),
    });
  }

  /** Joins of this consumer so far (1 after the first assignment, +1 per rebalance or restart). */
  get generation(): number {
    return this.generationNo;
  }

  get assignment(): Assignment {
    return this.current;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.supervisor.start();
  }

  /** Leaves the group and disconnects (idempotent). Owners finish or abandon their work first. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.supervisor.close();
      await this.admin.disconnect().catch(() => undefined);
    })();
    return this.closing;
  }

  ready(): boolean {
    return !this.closed && this.supervisor.ready();
  }

  healthy(): boolean {
    return this.supervisor.healthy();
  }

  status(): SupervisionStatus {
    return this.supervisor.status();
  }

  /** Holds the partitions for `reason` (in addition to any other). */
  pause(topic: string, partitions: readonly number[], reason: PauseReason): void {
    const change = this.pauses.pause(topic, partitions, reason);
    if (change.pause.length > 0) this.consumer?.pause(topic, change.pause);
  }

  /** Lifts `reason`; a partition is fetched again once no reason holds it. */
  resume(topic: string, partitions: readonly number[], reason: PauseReason): void {
    const change = this.pauses.resume(topic, partitions, reason);
    if (change.resume.length > 0 && !this.closed) this.consumer?.resume(topic, change.resume);
  }

  isPaused(topic: string, partition: number, reason?: PauseReason): boolean {
    return reason === undefined ? this.pauses.isPaused(topic, partition) : this.pauses.has(topic, partition, reason);
  }

  pausedCount(reason?: PauseReason): number {
    return this.pauses.count(reason);
  }

  /** The next fetch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: string): void {
    this.consumer?.seek(topic, partition, offset);
  }

  /**
   * Commits each partition's floor (the next offset to read after a restart) where it moved
   * up; returns what was committed. Throws when the commit fails (the generation may be over).
   */
  async commit(floors: readonly { readonly topic: string; readonly partition: number; readonly offset: bigint }[]): Promise<TopicPartitionOffset[]> {
    const consumer = this.consumer;
    const due = this.floors.due(floors);
    if (due.length === 0 || consumer === null) return [];
    const floorsNow = this.floors;
    await consumer.commit(due);
    floorsNow.committed(due);
    return due;
  }

  /** Commits the record at `offset` as handled (the partition reads on after it). */
  async commitHandled(topic: string, partition: number, offset: string): Promise<void> {
    await this.commit([{ topic, partition, offset: BigInt(offset) + 1n }]);
  }

  /** Watermarks and the group's committed offsets of `topic` (what a catch-up reads up to). */
  async positions(topic: string): Promise<PartitionPositions[]> {
    const [watermarks, committed] = await Promise.all([this.admin.watermarks(topic), this.committed([topic])]);
    return watermarks.map((w) => ({ partition: w.partition, low: BigInt(w.low), high: BigInt(w.high), committed: committed.get(topic)?.get(w.partition) ?? -1n }));
  }

  /** The log's start and end per partition. */
  watermarks(topic: string): Promise<PartitionWatermarks[]> {
    return this.admin.watermarks(topic);
  }

  /** The group's committed offsets per topic and partition (-1: nothing committed), in one request. */
  async committed(topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
    const rows = await this.admin.committedOffsets(this.groupId, topics);
    return new Map(rows.map((t) => [t.topic, new Map(t.partitions.map((p) => [p.partition, BigInt(p.offset)]))]));
  }

  private incarnation(): GroupConsumer {
    const settings = this.o.settings();
    this.groupId = settings.groupId;
    const consumer = this.o.client.consumer(settings);
    consumer.onJoin((assignment) => {
      if (this.consumer === consumer) this.onJoin(assignment);
    });
    consumer.onRebalancing(() => {
      if (this.consumer === consumer) this.o.onRebalancing?.();
    });
    // A new consumer has no pauses and no assignment; its first join starts from committed offsets.
    this.pauses.clear();
    this.floors = new CommitFloors();
    this.current = {};
    this.consumer = consumer;
    this.o.onIncarnation?.();
    return consumer;
  }

  private onJoin(assignment: Assignment): void {
    const consumer = this.consumer;
    if (consumer === null) return;
    this.generationNo += 1;
    const touched = new Map<string, Set<number>>();
    const add = (topic: string, partitions: readonly number[]): void => {
      let set = touched.get(topic);
      if (set === undefined) touched.set(topic, (set = new Set()));
      for (const p of partitions) set.add(p);
    };
    for (const [topic, partitions] of this.pauses.clear()) add(topic, partitions);
    for (const [topic, partitions] of Object.entries(this.current)) add(topic, partitions);
    for (const [topic, partitions] of Object.entries(assignment)) add(topic, partitions);
    for (const [topic, partitions] of touched) if (partitions.size > 0) consumer.resume(topic, [...partitions]);
    this.floors = new CommitFloors();
    this.current = assignment;
    this.o.onAssigned?.(assignment, this.generationNo);
  }
}
