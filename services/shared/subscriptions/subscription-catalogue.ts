import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { FleethookError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ConsumerSupervisor } from '../supervision/consumer-supervisor.js';
import { decodeSubscriptionRecord } from './subscription-record-codec.js';
import type { StoredSubscription } from './subscription-types.js';

export type CatalogueChange =
  | { readonly kind: 'upserted'; readonly subscription: StoredSubscription; readonly previous: StoredSubscription | undefined }
  | { readonly kind: 'removed'; readonly id: string; readonly previous: StoredSubscription | undefined };

export type CatalogueListener = (change: CatalogueChange) => void;

export interface SubscriptionCatalogueOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: Logger;
  /** Each instance gets its own group (`<prefix>-<uuid>`), so it reads every partition. */
  readonly groupIdPrefix: string;
}

interface Waiter {
  readonly targets: ReadonlyMap<number, number>;
  readonly resolve: () => void;
}

/**
 * The subscription catalogue materialised in memory from its compacted topic. Every
 * instance reads the whole topic from the beginning with a group of its own and commits
 * nothing, so it needs no coordination and a restart rebuilds the same view. `ready` once
 * it has applied everything that existed when it started; later changes apply live and
 * reach listeners. Holds records as stored: secrets stay sealed.
 */
export class SubscriptionCatalogue {
  private readonly subscriptions = new Map<string, StoredSubscription>();
  /** Next offset to apply, per partition. */
  private readonly positions = new Map<number, number>();
  private readonly listeners = new Set<CatalogueListener>();
  private waiters: Waiter[] = [];
  private readonly admin: Admin;
  /** Restarts a crashed reader (each incarnation in a group of its own; what was applied is skipped when read again). */
  private readonly supervisor: ConsumerSupervisor;
  private readyPromise: Promise<void> | undefined;
  private isReady = false;
  private closed = false;

  constructor(private readonly options: SubscriptionCatalogueOptions) {
    this.admin = options.kafka.admin();
    this.supervisor = new ConsumerSupervisor({
      name: 'catalogue', kafka: options.kafka, groupId: options.groupIdPrefix, topics: [], logger: options.logger,
      create: (): Consumer => options.kafka.consumer({
        groupId: `${options.groupIdPrefix}-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, allowAutoTopicCreation: false,
      }),
      run: async (consumer) => {
        await consumer.subscribe({ topic: options.topic, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (p) => this.applyBatch(p) });
      },
    });
  }

  /** Connects and starts applying; resolves once caught up with the topic as it was at start. */
  async start(timeoutMs = 60_000): Promise<void> {
    await this.admin.connect();
    const startTargets = await this.latestOffsets().catch((cause: unknown) => {
      throw new FleethookError('CATALOGUE_TOPIC_UNAVAILABLE', `cannot read topic ${this.options.topic} (does it exist? \`npm run topics\` creates it)`, { cause, retriable: true });
    });
    this.readyPromise = this.waitFor(startTargets, timeoutMs).then(() => {
      this.isReady = true;
      this.options.logger.info('subscription catalogue ready', { topic: this.options.topic, subscriptions: this.subscriptions.size });
    });
    await this.supervisor.start();
    await this.readyPromise;
  }

  /** Caught up once, and its reader is running (not waiting to be restarted after a crash). */
  ready(): boolean {
    return this.isReady && !this.closed && this.supervisor.status().state === 'running';
  }

  get(id: string): StoredSubscription | undefined {
    return this.subscriptions.get(id);
  }

  /** All subscriptions, sorted by id (= creation order). */
  list(): StoredSubscription[] {
    return [...this.subscriptions.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.subscriptions.size;
  }

  onChange(listener: CatalogueListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the record at `offset` of `partition` has been applied. */
  waitForOffset(partition: number, offset: number, timeoutMs: number): Promise<void> {
    return this.waitFor(new Map([[partition, offset + 1]]), timeoutMs);
  }

  /**
   * Resolves once everything written before this call has been applied — how a second
   * instance gives read-your-writes for a change another instance made. Costs one
   * ListOffsets round trip.
   */
  async catchUp(timeoutMs: number): Promise<void> {
    await this.waitFor(await this.latestOffsets(), timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.supervisor.close();
    await this.admin.disconnect().catch(() => undefined);
  }

  private async latestOffsets(): Promise<Map<number, number>> {
    const offsets = await this.admin.fetchTopicOffsets(this.options.topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  private waitFor(targets: ReadonlyMap<number, number>, timeoutMs: number): Promise<void> {
    if (this.reached(targets)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new FleethookError('CATALOGUE_LAGGING', `catalogue did not catch up within ${timeoutMs} ms`, { retriable: true }));
      }, timeoutMs);
      const waiter: Waiter = { targets, resolve: () => { clearTimeout(timer); resolve(); } };
      this.waiters.push(waiter);
    });
  }

  private reached(targets: ReadonlyMap<number, number>): boolean {
    for (const [partition, next] of targets) if ((this.positions.get(partition) ?? 0) < next) return false;
    return true;
  }

  private async applyBatch({ batch }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      // A restarted reader reads the topic again from the beginning: what was applied is not applied twice.
      if (Number(message.offset) < (this.positions.get(batch.partition) ?? 0)) continue;
      const key = message.key?.toString('utf8') ?? '';
      this.apply(key, message.value, batch.partition, message.offset);
      this.positions.set(batch.partition, Number(message.offset) + 1);
    }
    // Compaction can leave a fetched range without messages; the batch still tells how far it got.
    const past = Number(batch.lastOffset()) + 1;
    if (past > (this.positions.get(batch.partition) ?? 0)) this.positions.set(batch.partition, past);
    const due = this.waiters.filter((w) => this.reached(w.targets));
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }

  private apply(key: string, value: Buffer | null, partition: number, offset: string): void {
    const previous = this.subscriptions.get(key);
    if (value === null) {
      if (!this.subscriptions.delete(key)) return;
      this.emit({ kind: 'removed', id: key, previous });
      return;
    }
    const decoded = decodeSubscriptionRecord(value);
    if (decoded.kind === 'invalid' || decoded.subscription.id !== key) {
      const reason = decoded.kind === 'invalid' ? decoded.reason : 'key does not match subscription id';
      this.options.logger.error('skipping undecodable catalogue record', { topic: this.options.topic, partition, offset, key, reason });
      return;
    }
    this.subscriptions.set(key, decoded.subscription);
    this.emit({ kind: 'upserted', subscription: decoded.subscription, previous });
  }

  private emit(change: CatalogueChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.options.logger.error('catalogue listener failed', { err });
      }
    }
  }
}
