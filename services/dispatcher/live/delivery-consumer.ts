import { errorMessage } from '../../shared/errors.js';
import type { Assignment, BatchContext, FetchedBatch, KafkaClient } from '../../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../../shared/kafka/partitioned-consumer.js';
import type { PauseReason } from '../../shared/kafka/pause-reasons.js';
import type { SupervisionObserver, SupervisionPolicy, SupervisionStatus } from '../../shared/supervision/consumer-supervisor.js';
import type { Logger } from '../../shared/logger.js';
import type { SubscriptionCatalogue } from '../../shared/subscriptions/subscription-catalogue.js';
import { BacklogDrain } from '../parking/backlog-drain.js';
import { DrainWatch } from '../parking/drain-watch.js';
import type { DrainProgress } from '../parking/drain-watch.js';
import type { BatchDeliveryDeps } from '../deliver/deliver-batch.js';
import type { DeliveredMarks } from './delivered-marks.js';
import { DeliveryGeneration } from './delivery-generation.js';
import type { PartitionControl } from './delivery-generation.js';
import { HeadParking } from '../parking/head-parking.js';
import { IntentLog } from '../intents/intent-log.js';
import type { IntentWriter } from '../intents/intent-writer.js';
import { LiveRouter } from './live-router.js';
import { ParkedLogReader } from '../parking/parked-log-reader.js';
import type { OffsetsSource } from '../parking/parked-log-reader.js';
import type { ParkingIo } from '../parking/parking-io.js';
import { sleep } from '../deliver/retry-delay.js';

export interface DeliveryConsumerOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly groupId: string;
  readonly catalogue: SubscriptionCatalogue;
  readonly deps: BatchDeliveryDeps;
  readonly logger: Logger;
  readonly maxInFlight: number;
  readonly maxOpenItemsPerPartition: number;
  readonly originLookbackRecords: number;
  readonly commitIntervalMs: number;
  readonly flushTickMs: number;
  /** A draining or closing subscription whose cursor stood still this long is logged with what holds it. */
  readonly drainStallWarnMs: number;
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
  readonly watch: DrainWatch;
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
  private readonly consumer: PartitionedConsumer;
  private owned: Owned | null = null;
  private generations = 0;
  /** The request running per subscription, across generations: a new owner waits for the old one. */
  private readonly running = new Map<string, Promise<unknown>>();
  /** The last ended generation's Kafka writes in flight, settled (or its grace over). */
  private previousWrites: Promise<unknown> = Promise.resolve();
  private readonly offsets: OffsetsSource;
  private timers: NodeJS.Timeout[] = [];
  private joined = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: DeliveryConsumerOptions) {
    this.consumer = new PartitionedConsumer({
      client: o.kafka, name: 'deliveries', logger: o.logger, watchTopics: [o.topic],
      ...(o.supervision === undefined ? {} : { supervision: o.supervision }), ...(o.observer === undefined ? {} : { observer: o.observer }),
      settings: () => ({
        groupId: o.groupId, assignment: 'co-partitioned', sessionTimeoutMs: o.sessionTimeoutMs, heartbeatIntervalMs: Math.floor(o.sessionTimeoutMs / 10), maxWaitTimeMs: 100,
      }),
      run: {
        topics: this.topics(), fromBeginning: true, partitionsConsumedConcurrently: 4, autoCommit: null, resolveBatchOnReturn: true,
        handler: { kind: 'batch', eachBatch: (batch, ctx) => this.handle(batch, ctx) },
      },
      onIncarnation: () => this.incarnation(),
      // A new generation starts with every partition resumed (the client keeps pauses across rebalances).
      onAssigned: (assignment) => this.onJoin(assignment),
      onRebalancing: () => this.onRebalancing(),
    });
    this.offsets = { ends: (topic) => this.consumer.watermarks(topic), committed: (topics) => this.consumer.committed(topics) };
  }

  /** Deliveries, the parked log and the request intents: partition N of each belongs to one owner. */
  private topics(): string[] {
    return [this.o.topic, this.o.parkedTopic, this.o.intents.topic];
  }

  /** Pausing, resuming and seeking for one stage: each stage's pauses are its own reason, so one never lifts another's. */
  private control(reason: PauseReason): PartitionControl {
    return {
      pause: (topic, partitions) => this.consumer.pause(topic, partitions, reason),
      resume: (topic, partitions) => this.consumer.resume(topic, partitions, reason),
      seek: (topic, partition, offset) => this.consumer.seek(topic, partition, offset),
    };
  }

  get isJoined(): boolean {
    return this.joined;
  }

  /** Joined, running, and no deliveries partition with records to read has stood still past the stall bound. */
  ready(): boolean {
    return this.joined && this.consumer.ready();
  }

  healthy(): boolean {
    return this.consumer.healthy();
  }

  status(): SupervisionStatus {
    return this.consumer.status();
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
    await this.consumer.start();
    this.timers.push(setInterval(() => this.tick(), this.o.flushTickMs), setInterval(() => void this.commit(), this.o.commitIntervalMs));
  }

  /** Stop fetching → send open batches (no more retry waits) and finish in-flight work within the grace, abandon the rest → commit → disconnect. Idempotent. */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      const owned = this.owned;
      if (owned !== null) {
        const partitions = owned.gen.partitions;
        if (partitions.length > 0) for (const topic of this.topics()) this.consumer.pause(topic, partitions, 'closing');
        // Open batches go now and get the grace to finish; whatever is left is cut and read again by the next owner.
        const started = Date.now();
        owned.live.flushAll();
        // What fails now is left to the next owner (its intent is on record): a retry waiting out a Retry-After must not hold the hand-over.
        owned.gen.stopRetries();
        await Promise.race([owned.gen.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
        const left = Math.max(0, graceMs - (Date.now() - started));
        await Promise.race([owned.gen.end(left), new Promise((r) => setTimeout(r, left + 1_000).unref())]);
        await this.commitOwned(owned);
      }
      await this.consumer.close();
    })();
    return this.closing;
  }

  /**
   * A new consumer (the first, or after a crash). The generation of a crashed one ends as on
   * a revocation: its buffers are dropped and the new incarnation reads from committed offsets.
   */
  private incarnation(): void {
    const old = this.owned;
    if (old !== null) {
      this.owned = null;
      this.joined = false;
      this.endGeneration(old.gen);
    }
  }

  /** Ends a generation; the next one starts reading its logs only once this one's writes in flight are settled (bounded by the grace). */
  private endGeneration(gen: DeliveryGeneration): void {
    void gen.end(this.o.rebalanceGraceMs);
    const settled = gen.writesSettled();
    this.previousWrites = Promise.race([settled, new Promise((r) => setTimeout(r, this.o.rebalanceGraceMs).unref())]);
  }

  /**
   * No request starts once the group rebalances: the next owner may already be reading these partitions' intents,
   * and a request sent after that would be batched again differently there (a new webhook-id). What is finished is committed first.
   */
  private onRebalancing(): void {
    const owned = this.owned;
    if (owned === null || owned.gen.ended) return;
    void this.commitOwned(owned);
    this.endGeneration(owned.gen);
  }

  private onJoin(assignment: Assignment): void {
    const partitions = assignment[this.o.topic] ?? [];
    const old = this.owned;
    const gen = new DeliveryGeneration(++this.generations, [...partitions].sort((a, b) => a - b), this.o.maxInFlight, this.running, this.o.logger);
    const { catalogue, deps, parking, marks, logger, maxOpenItemsPerPartition, originLookbackRecords } = this.o;
    let drain: BacklogDrain | undefined;
    const heads = new HeadParking({ catalogue, parking, metrics: deps.metrics, logger }, gen, (sub) => drain?.resetQueued(sub));
    drain = new BacklogDrain({ catalogue, deps, parking, marks, logger }, gen, heads);
    // The partitioned consumer resumed every partition before this call: the pauses of the old generation (back-pressure,
    // a partition held back while its parked log or its intents were read) are not this one's, and nothing here would lift them.
    const reader = new ParkedLogReader({ deliveriesTopic: this.o.topic, parkedTopic: this.o.parkedTopic, maxOpenItemsPerPartition, logger }, gen, this.control('parked-reader'), drain);
    const intents = new IntentLog({ deliveriesTopic: this.o.topic, intentsTopic: this.o.intents.topic, logger }, gen, this.control('intents'));
    const live = new LiveRouter({ topic: this.o.topic, catalogue, deps, parking, marks, intents: this.o.intents, maxOpenItemsPerPartition, originLookbackRecords, logger }, gen, this.control('live-back-pressure'), reader, heads, drain, intents);
    this.owned = { gen, live, reader, drain, intents, watch: new DrainWatch(this.o.drainStallWarnMs) };
    this.joined = true;
    logger.info('deliveries assignment', { topic: this.o.topic, generation: gen.id, partitions: gen.partitions });
    // The old generation's buffers are dropped; its items are read again from committed offsets.
    if (old !== null) this.endGeneration(old.gen);
    void this.previousWrites.then(() => {
      void reader.startScan(this.offsets, (ms) => sleep(ms, gen.stop));
      void intents.startScan(this.offsets, (ms) => sleep(ms, gen.stop));
    });
  }

  private async handle(batch: FetchedBatch, { isRunning, isStale, heartbeat }: BatchContext): Promise<void> {
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
    this.watchDrains(owned, now);
    const m = this.o.deps.metrics;
    m.openItems.set(owned.live.openItems);
    m.pausedPartitions.set(owned.live.pausedPartitions);
    const phases = { parked: 0, draining: 0, closing: 0 };
    for (const book of owned.gen.allBooks()) for (const [, e] of book.entries()) phases[e.phase]++;
    for (const [phase, n] of Object.entries(phases)) m.parkedSubscriptions.set({ phase }, n);
  }

  /** A drain that stopped (no item finished, for the bound) is reported with everything that could hold it (it would otherwise only show as a backlog that no longer shrinks). */
  private watchDrains(owned: Owned, nowMs: number): void {
    const drains: DrainProgress[] = [];
    for (const partition of owned.gen.partitions) {
      for (const [subscriptionId, s] of owned.gen.book(partition).entries()) {
        if (s.phase !== 'parked') drains.push({ partition, subscriptionId, episodeId: s.episodeId, cursor: s.cursor, finishedItems: owned.drain.finishedOf(subscriptionId) });
      }
    }
    const stalled = owned.watch.observe(drains, nowMs);
    this.o.deps.metrics.stalledDrains.set(owned.watch.stalled);
    for (const d of stalled) {
      const s = owned.gen.book(d.partition).get(d.subscriptionId);
      this.o.logger.warn('a backlog drain has not moved', {
        subscriptionId: d.subscriptionId, partition: d.partition, episodeId: d.episodeId, stillForMs: d.stillForMs, finishedItems: d.finishedItems,
        phase: s?.phase, cursor: String(d.cursor), seenThrough: String(s?.seenThrough), queuedThrough: String(s?.queuedThrough), backlog: s?.backlog,
        ...owned.drain.describe(d.partition, d.subscriptionId), ...owned.gen.workOf(d.subscriptionId, nowMs), ...owned.reader.describe(d.partition),
        parkedPartitionPaused: this.consumer.isPaused(this.o.parkedTopic, d.partition),
      });
    }
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
    try {
      await this.consumer.commit([
        ...live.map((p) => ({ topic: this.o.topic, partition: p.partition, offset: BigInt(p.offset) })),
        ...parked.map((p) => ({ topic: this.o.parkedTopic, partition: p.partition, offset: p.offset })),
        ...intents.map((p) => ({ topic: this.o.intents.topic, partition: p.partition, offset: BigInt(p.offset) })),
      ]);
      owned.intents.committedAt(intents);
      owned.live.committedAt(live);
      owned.reader.committedAt(parked);
    } catch (err) {
      this.o.logger.warn('offset commit failed; will retry', { topic: this.o.topic, err: errorMessage(err) });
    }
  }
}
