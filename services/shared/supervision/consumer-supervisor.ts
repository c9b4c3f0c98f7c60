import type { GroupConsumer, KafkaAdmin, KafkaClient } from '../kafka/kafka-port.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { PartitionProgress } from './partition-progress.js';
import type { PartitionSample, StalledPartition } from './partition-progress.js';
import { restartDelayMs } from './restart-backoff.js';
import type { BackoffPolicy } from './restart-backoff.js';

export interface SupervisionPolicy {
  /** Backoff between restarts of a crashed consumer. */
  readonly restart: BackoffPolicy;
  /** A partition with records to read and no commit for longer than this is stalled (not ready). */
  readonly stallAfterMs: number;
  /** How often committed offsets and watermarks are compared. */
  readonly checkIntervalMs: number;
}

export const defaultSupervisionPolicy: SupervisionPolicy = {
  restart: { initialMs: 1_000, maxMs: 30_000 },
  stallAfterMs: 60_000,
  checkIntervalMs: 5_000,
};

/** Metric hooks; `name` is the supervised consumer's bounded label (`match`, `failures`). */
export interface SupervisionObserver {
  restarted(name: string): void;
  stalled(name: string, partitions: number): void;
}

export interface ConsumerSupervisorOptions {
  /** A short, bounded name for logs and metric labels. */
  readonly name: string;
  readonly kafka: KafkaClient;
  readonly groupId: string;
  /** The topics whose assigned partitions are watched for stalls. */
  readonly topics: readonly string[];
  readonly logger: Logger;
  readonly policy?: SupervisionPolicy;
  readonly observer?: SupervisionObserver;
  /** A fresh consumer for each incarnation (the owner may register its own event handlers on it). */
  readonly create: () => GroupConsumer;
  /** Calls `consumer.run(...)` on a connected consumer. */
  readonly run: (consumer: GroupConsumer) => Promise<void>;
}

export type SupervisedState = 'idle' | 'starting' | 'running' | 'restarting' | 'closed';

export interface SupervisionStatus {
  readonly name: string;
  readonly state: SupervisedState;
  readonly joined: boolean;
  readonly restarts: number;
  readonly stalled: readonly StalledPartition[];
  /** False when the committed offsets could not be compared for longer than the stall bound. */
  readonly watching: boolean;
  /** How long it has not been running (0 when running). */
  readonly downForMs: number;
}

/**
 * Keeps one group consumer alive and says whether it makes progress.
 *
 * - Crash: the client reports it and, for a non-retriable error (`restarting: false`), stops the
 *   consumer for good. The supervisor disconnects it and starts a new incarnation (a new
 *   consumer from `create`, connected, `run`) after a backoff; a failed restart is retried
 *   the same way. Uncommitted records are read again by the new incarnation: handlers must
 *   make every record finishable (dead-letter it) or the crash repeats — and the stall
 *   detector then reports it.
 * - Progress: every `checkIntervalMs` the group's committed offsets are compared with the
 *   high watermarks of the assigned partitions (`PartitionProgress`). `ready()` is false
 *   while not running, not joined, any partition is stalled, or the comparison has failed
 *   for longer than the stall bound.
 * The first start's failure is the caller's (it rejects `start()`); later ones are retried.
 */
export class ConsumerSupervisor {
  private readonly policy: SupervisionPolicy;
  private readonly progress: PartitionProgress;
  private consumer: GroupConsumer | null = null;
  private admin: KafkaAdmin | null = null;
  private state: SupervisedState = 'idle';
  private joined = false;
  private assigned = new Map<string, readonly number[]>();
  private stalledNow: readonly StalledPartition[] = [];
  private restarts = 0;
  private consecutiveFailures = 0;
  private downSinceMs = Date.now();
  private incarnationStartedMs = 0;
  private lastCheckOkMs = 0;
  private checkTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly o: ConsumerSupervisorOptions) {
    this.policy = o.policy ?? defaultSupervisionPolicy;
    this.progress = new PartitionProgress(this.policy.stallAfterMs);
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.admin = this.o.kafka.admin();
    await this.admin.connect();
    await this.incarnate();
    this.checkTimer = setInterval(() => void this.check(), this.policy.checkIntervalMs);
    this.checkTimer.unref();
  }

  /** Stops supervising and disconnects (idempotent). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.checkTimer);
    clearTimeout(this.restartTimer);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  ready(): boolean {
    const s = this.status();
    return s.state === 'running' && s.joined && s.stalled.length === 0 && s.watching;
  }

  /** Alive: not down (crashed and not yet back) for longer than the stall bound. */
  healthy(): boolean {
    return this.state === 'closed' || this.status().downForMs <= this.policy.stallAfterMs;
  }

  status(nowMs = Date.now()): SupervisionStatus {
    const running = this.state === 'running';
    const watchedSince = Math.max(this.lastCheckOkMs, this.incarnationStartedMs);
    return {
      name: this.o.name, state: this.state, joined: running && this.joined, restarts: this.restarts,
      stalled: running ? this.stalledNow : [],
      watching: !running || nowMs - watchedSince <= this.policy.stallAfterMs + this.policy.checkIntervalMs,
      downForMs: running ? 0 : nowMs - this.downSinceMs,
    };
  }

  private async incarnate(): Promise<void> {
    this.state = 'starting';
    this.joined = false;
    this.assigned = new Map();
    this.stalledNow = [];
    this.progress.reset();
    const consumer = this.o.create();
    this.consumer = consumer;
    consumer.onJoin((assignment) => {
      if (this.consumer !== consumer) return;
      this.joined = true;
      this.assigned = new Map(Object.entries(assignment));
    });
    consumer.onCrash(({ error, restarting }) => {
      if (this.consumer !== consumer || this.state === 'closed') return;
      // Not joined until the group takes it back, whoever restarts it.
      this.joined = false;
      this.o.logger.error('consumer crashed', { consumer: this.o.name, groupId: this.o.groupId, clientRestarts: restarting, err: error });
      if (!restarting) this.onCrash(consumer);
    });
    try {
      await consumer.connect();
      await this.o.run(consumer);
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    // A crash during `run` already scheduled the next incarnation.
    if (this.consumer !== consumer || this.state !== 'starting') return;
    this.state = 'running';
    this.incarnationStartedMs = Date.now();
  }

  private onCrash(crashed: GroupConsumer): void {
    if (this.state === 'closed' || this.state === 'restarting') return;
    if (this.state === 'running') this.downSinceMs = Date.now();
    this.state = 'restarting';
    this.joined = false;
    void crashed.disconnect().catch(() => undefined);
    this.restartLater();
  }

  private restartLater(): void {
    // A consumer that ran a good while before crashing starts the backoff over.
    if (this.incarnationStartedMs > 0 && Date.now() - this.incarnationStartedMs > this.policy.restart.maxMs) this.consecutiveFailures = 0;
    this.incarnationStartedMs = 0;
    this.consecutiveFailures += 1;
    const delayMs = restartDelayMs(this.policy.restart, this.consecutiveFailures);
    this.o.logger.warn('restarting consumer', { consumer: this.o.name, groupId: this.o.groupId, attempt: this.consecutiveFailures, delayMs });
    this.restartTimer = setTimeout(() => {
      if (this.state === 'closed') return;
      this.restarts += 1;
      this.o.observer?.restarted(this.o.name);
      this.incarnate().catch((err: unknown) => {
        this.o.logger.error('consumer restart failed', { consumer: this.o.name, groupId: this.o.groupId, err: errorMessage(err) });
        if (this.state === 'closed') return;
        this.state = 'restarting';
        this.restartLater();
      });
    }, delayMs);
  }

  private async check(): Promise<void> {
    if (this.state !== 'running' || !this.joined || this.checking || this.admin === null) return;
    this.checking = true;
    try {
      const samples = await this.sample(this.admin);
      const nowMs = Date.now();
      this.lastCheckOkMs = nowMs;
      const before = this.stalledNow.length;
      this.stalledNow = this.progress.observe(nowMs, samples);
      if (this.stalledNow.length > 0) {
        this.o.logger.warn('partitions stalled', { consumer: this.o.name, groupId: this.o.groupId, stalled: this.stalledNow });
      }
      if (before !== this.stalledNow.length) this.o.observer?.stalled(this.o.name, this.stalledNow.length);
    } catch (err) {
      this.o.logger.warn('cannot compare committed offsets with watermarks', { consumer: this.o.name, groupId: this.o.groupId, err: errorMessage(err) });
    } finally {
      this.checking = false;
    }
  }

  private async sample(admin: KafkaAdmin): Promise<PartitionSample[]> {
    const topics = this.o.topics.filter((t) => (this.assigned.get(t)?.length ?? 0) > 0);
    if (topics.length === 0) return [];
    const committed = await admin.committedOffsets(this.o.groupId, topics);
    const samples: PartitionSample[] = [];
    for (const topic of topics) {
      const highs = await admin.watermarks(topic);
      const commits = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const partition of this.assigned.get(topic) ?? []) {
        const high = Number(highs.find((h) => h.partition === partition)?.high ?? 0);
        const at = Number(commits.find((c) => c.partition === partition)?.offset ?? -1);
        samples.push({ topic, partition, committed: at, high });
      }
    }
    return samples;
  }
}
