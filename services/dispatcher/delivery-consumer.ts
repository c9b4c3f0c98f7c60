import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { errorMessage } from '../shared/errors.js';
import { ConsumerSupervisor } from '../shared/supervision/consumer-supervisor.js';
import type { SupervisionObserver, SupervisionPolicy, SupervisionStatus } from '../shared/supervision/consumer-supervisor.js';
import type { Logger } from '../shared/logger.js';
import type { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import { BacklogDrain } from './backlog-drain.js';
import { CoPartitionedAssigner } from './co-partitioned-assigner.js';
import type { BatchDeliveryDeps } from './deliver-batch.js';
import type { DeliveredMarks } from './delivered-marks.js';
import { DeliveryGeneration } from './delivery-generation.js';
import type { PartitionControl } from './delivery-generation.js';
import { HeadParking } from './head-parking.js';
import { IntentLog } from './intent-log.js';
import type { IntentWriter } from './intent-writer.js';
import { LiveRouter } from './live-router.js';
import { ParkedLogReader } from './parked-log-reader.js';
import type { OffsetsSource } from './parked-log-reader.js';
import type { ParkingIo } from './parking-io.js';
import { sleep } from './retry-delay.js';

export interface DeliveryConsumerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly catalogue: SubscriptionCatalogue;
  readonly deps: BatchDeliveryDeps;
  readonly logger: Logger;
  readonly maxInFlight: number;
  readonly maxOpenItemsPerPartition: number;
  readonly commitIntervalMs: number;
  readonly flushTickMs: number;
  readonly rebalanceGraceMs: number;
  readonly marks: DeliveredMarks;
  readonly sessionTimeoutMs: number;
  /** `webhook.parked` (co-partitioned with `topic`) and the writes of parking. */
  readonly parkedTopic: string;
  readonly parking: ParkingIo;
  /** `webhook.intents` (co-partitioned): each live request's composition, written before it is sent. */
  readonly intents: IntentWriter;
  /** Restart with backoff after a crash; stall detection watches `webhook.deliveries` only (the parked log's commit rests at the oldest open episode by design). */
  readonly supervision?: SupervisionPolicy;
  readonly observer?: SupervisionObserver;
}

/** The stages of one generation; all of them are dropped with it. */
interface Owned {
  readonly gen: DeliveryGeneration;
  readonly live: LiveRouter;
  readonly reader: ParkedLogReader;
  readonly drain: BacklogDrain;
  readonly intents: IntentLog;
}

/**
 * The partition owner of batch-and-deliver: one consumer of `webhook.deliveries` and
 * `webhook.parked` with the co-partitioned assigner (partition N of both, and of the retry
 * lanes, belongs to one instance). Each assignment starts a generation with its stages —
 * the parked-log reader (rebuilds parking state, feeds drains: parked-log-reader.ts), live
 * routing and delivery (live-router.ts), the backlog drain (backlog-drain.ts) and head
 * parking (head-parking.ts) — which share the generation's per-subscription serial queue.
 * This class joins, commits what the stages say is finished, ticks them, and closes in
 * order. Why nothing is lost: ARCHITECTURE.md.
 */
export class DeliveryConsumer {
  private readonly supervisor: ConsumerSupervisor;
  /** The current incarnation's consumer (a crash makes a new one). */
  private consumer: Consumer | null = null;
  private readonly admin: Admin;
  private owned: Owned | null = null;
  private generations = 0;
  /** The request running per subscription, across generations: a new owner waits for the old one. */
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly control: PartitionControl;
  private readonly offsets: OffsetsSource;
  private timers: NodeJS.Timeout[] = [];
  private joined = false;
  private closing: Promise<void> | undefined;

  /** Deliveries, the parked log and the request intents: partition N of each belongs to one owner. */
  private readonly topics: readonly string[];

  constructor(private readonly o: DeliveryConsumerOptions) {
    this.topics = [o.topic, o.parkedTopic, o.intents.topic];
    this.admin = o.kafka.admin();
    this.supervisor = new ConsumerSupervisor({
      name: 'deliveries', kafka: o.kafka, groupId: o.groupId, topics: [o.topic], logger: o.logger,
      ...(o.supervision === undefined ? {} : { policy: o.supervision }), ...(o.observer === undefined ? {} : { observer: o.observer }),
      create: () => this.incarnation(),
      run: async (consumer) => {
        await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, partitionsConsumedConcurrently: 4, eachBatch: (p) => this.handle(p) });
      },
    });
    this.control = {
      pause: (topic, partitions) => this.consumer?.pause([{ topic, partitions: [...partitions] }]),
      resume: (topic, partitions) => this.consumer?.resume([{ topic, partitions: [...partitions] }]),
      seek: (topic, partition, offset) => this.consumer?.seek({ topic, partition, offset }),
    };
    this.offsets = {
      ends: (topic) => this.admin.fetchTopicOffsets(topic),
      committed: async (topics) => {
        const rows = await this.admin.fetchOffsets({ groupId: o.groupId, topics: [...topics] });
        return new Map(rows.map((t) => [t.topic, new Map(t.partitions.map((p) => [p.partition, BigInt(p.offset)]))]));
      },
    };
  }

  get isJoined(): boolean {
    return this.joined;
  }

  /** Joined, running, and no deliveries partition with records to read has stood still past the stall bound. */
  ready(): boolean {
    return this.joined && this.supervisor.ready();
  }

  healthy(): boolean {
    return this.supervisor.healthy();
  }

  status(): SupervisionStatus {
    return this.supervisor.status();
  }

  /** Partitions owned now (for tests and status). */
  get assignment(): readonly number[] {
    return this.owned?.gen.partitions ?? [];
  }

  get openItems(): number {
    return this.owned?.live.openItems ?? 0;
  }

  /** Items in a parked subscription's backlog, when this instance owns it (null otherwise). */
  backlogOf(subscriptionId: string): number | null {
    for (const book of this.owned?.gen.allBooks() ?? []) {
      const s = book.get(subscriptionId);
      if (s !== undefined) return s.backlog;
    }
    return null;
  }

  /** Whether this instance, whole for that partition, knows the episode is over (a ticket of it is an orphan to drop). */
  episodeOver(partition: number, subscriptionId: string, episodeId: string): boolean {
    const owned = this.owned;
    return owned !== null && owned.reader.isWhole(partition) && owned.gen.book(partition).hasEnded(subscriptionId, episodeId);
  }

  /** Subscriptions parked, draining or closing on this instance (for tests and status). */
  parkedSubscriptions(): Map<string, string> {
    const out = new Map<string, string>();
    for (const book of this.owned?.gen.allBooks() ?? []) for (const [id, s] of book.entries()) out.set(id, s.phase);
    return out;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.supervisor.start();
    this.timers.push(setInterval(() => this.tick(), this.o.flushTickMs), setInterval(() => void this.commit(), this.o.commitIntervalMs));
  }

  /** Stop fetching → send open batches and finish in-flight work within the grace, abandon the rest → commit → disconnect. Idempotent. */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      const owned = this.owned;
      if (owned !== null) {
        const partitions = owned.gen.partitions;
        if (partitions.length > 0) for (const topic of this.topics) this.control.pause(topic, partitions);
        // Open batches go now and get the grace to finish; whatever is left is cut and read again by the next owner.
        const started = Date.now();
        owned.live.flushAll();
        await Promise.race([owned.gen.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
        const left = Math.max(0, graceMs - (Date.now() - started));
        await Promise.race([owned.gen.end(left), new Promise((r) => setTimeout(r, left + 1_000).unref())]);
        await this.commitOwned(owned);
      }
      await this.supervisor.close();
      await this.admin.disconnect().catch(() => undefined);
    })();
    return this.closing;
  }

  /**
   * A new consumer (the first, or after a crash). The generation of a crashed one ends as on
   * a revocation: its buffers are dropped and the new incarnation reads from committed offsets.
   */
  private incarnation(): Consumer {
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId, partitionAssigners: [CoPartitionedAssigner], allowAutoTopicCreation: false,
      sessionTimeout: this.o.sessionTimeoutMs, heartbeatInterval: Math.floor(this.o.sessionTimeoutMs / 10), maxWaitTimeInMs: 100,
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (this.consumer === consumer) this.onJoin(e.payload.memberAssignment[this.o.topic] ?? []);
    });
    consumer.on(consumer.events.REBALANCING, () => {
      const owned = this.owned;
      if (this.consumer !== consumer || owned === null || owned.gen.ended) return;
      // No request starts once the group rebalances: the next owner may already be reading these partitions'
      // intents, and a request sent after that would be batched again differently there (a new webhook-id).
      void this.commitOwned(owned);
      void owned.gen.end(this.o.rebalanceGraceMs);
    });
    const old = this.owned;
    if (old !== null) {
      this.owned = null;
      this.joined = false;
      void old.gen.end(this.o.rebalanceGraceMs);
    }
    this.consumer = consumer;
    return consumer;
  }

  private onJoin(partitions: readonly number[]): void {
    const old = this.owned;
    const gen = new DeliveryGeneration(++this.generations, [...partitions].sort((a, b) => a - b), this.o.maxInFlight, this.running, this.o.logger);
    const { catalogue, deps, parking, marks, logger, maxOpenItemsPerPartition } = this.o;
    let drain: BacklogDrain | undefined;
    const heads = new HeadParking({ catalogue, parking, metrics: deps.metrics, logger }, gen, (sub) => drain?.resetQueued(sub));
    drain = new BacklogDrain({ catalogue, deps, parking, marks, logger }, gen, heads);
    const reader = new ParkedLogReader({ deliveriesTopic: this.o.topic, parkedTopic: this.o.parkedTopic, maxOpenItemsPerPartition, logger }, gen, this.control, drain);
    const intents = new IntentLog({ deliveriesTopic: this.o.topic, intentsTopic: this.o.intents.topic, logger }, gen, this.control);
    const live = new LiveRouter({ topic: this.o.topic, catalogue, deps, parking, marks, intents: this.o.intents, maxOpenItemsPerPartition, logger }, gen, this.control, reader, heads, drain, intents);
    // kafkajs keeps a partition paused across rebalances; the pauses of the old generation (back-pressure, a partition held
    // back while its parked log was scanned) are not this one's, and nothing of this generation would ever resume them.
    const touched = [...new Set([...(old?.gen.partitions ?? []), ...gen.partitions])];
    if (touched.length > 0) for (const topic of this.topics) this.control.resume(topic, touched);
    this.owned = { gen, live, reader, drain, intents };
    this.joined = true;
    logger.info('deliveries assignment', { topic: this.o.topic, generation: gen.id, partitions: gen.partitions });
    // The old generation's buffers are dropped; its items are read again from committed offsets.
    if (old !== null) void old.gen.end(this.o.rebalanceGraceMs);
    void reader.startScan(this.offsets, (ms) => sleep(ms, gen.stop));
    void intents.startScan(this.offsets, (ms) => sleep(ms, gen.stop));
  }

  private async handle({ batch, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    const owned = this.owned;
    if (owned === null || owned.gen.ended) return;
    const current = (): boolean => isRunning() && !isStale() && this.owned === owned && !owned.gen.ended;
    if (batch.topic === this.o.parkedTopic) await owned.reader.handleBatch(batch, current);
    else if (batch.topic === this.o.intents.topic) owned.intents.handleBatch(batch, current);
    else await owned.live.handleBatch(batch, current);
    await heartbeat();
  }

  private tick(): void {
    const owned = this.owned;
    if (owned === null || owned.gen.ended) return;
    const now = Date.now();
    owned.live.tick(now);
    owned.drain.tick(now);
    owned.reader.tick();
    const m = this.o.deps.metrics;
    m.openItems.set(owned.live.openItems);
    m.pausedPartitions.set(owned.live.pausedPartitions);
    const phases = { parked: 0, draining: 0, closing: 0 };
    for (const book of owned.gen.allBooks()) for (const [, e] of book.entries()) phases[e.phase]++;
    for (const [phase, n] of Object.entries(phases)) m.parkedSubscriptions.set({ phase }, n);
  }

  private async commit(): Promise<void> {
    const owned = this.owned;
    if (owned !== null && !owned.gen.ended) await this.commitOwned(owned);
  }

  private async commitOwned(owned: Owned): Promise<void> {
    const live = owned.live.commitOffsets();
    const parked = owned.reader.commitOffsets();
    // The intents floor follows the deliveries offset committed in the same request.
    const intents = owned.intents.commitOffsets((p) => live.find((l) => l.partition === p)?.offset ?? owned.live.committedOffset(p));
    if (live.length === 0 && parked.length === 0 && intents.length === 0) return;
    const consumer = this.consumer;
    if (consumer === null) return;
    try {
      await consumer.commitOffsets([
        ...live.map((p) => ({ topic: this.o.topic, partition: p.partition, offset: String(p.offset) })),
        ...parked.map((p) => ({ topic: this.o.parkedTopic, partition: p.partition, offset: String(p.offset) })),
        ...intents.map((p) => ({ topic: this.o.intents.topic, partition: p.partition, offset: String(p.offset) })),
      ]);
      owned.intents.committedAt(intents);
      owned.live.committedAt(live);
      owned.reader.committedAt(parked);
    } catch (err) {
      this.o.logger.warn('offset commit failed; will retry', { topic: this.o.topic, err: errorMessage(err) });
    }
  }
}
