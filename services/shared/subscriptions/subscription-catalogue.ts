import { randomUUID } from 'node:crypto';
import { FleethookError } from '../errors.js';
import { CatchUp } from '../kafka/catch-up.js';
import type { FetchedBatch, KafkaAdmin, KafkaClient } from '../kafka/kafka-port.js';
import { PartitionedConsumer } from '../kafka/partitioned-consumer.js';
import type { Logger } from '../logger.js';
import { decodeSubscriptionRecord } from './subscription-record-codec.js';
import type { StoredSubscription } from './subscription-types.js';

export type CatalogueChange =
  | { readonly kind: 'upserted'; readonly subscription: StoredSubscription; readonly previous: StoredSubscription | undefined }
  | { readonly kind: 'removed'; readonly id: string; readonly previous: StoredSubscription | undefined };

export type CatalogueListener = (change: CatalogueChange) => void;

export interface SubscriptionCatalogueOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  /** Each instance gets its own group (`<prefix>-<uuid>`), so it reads every partition. */
  readonly groupIdPrefix: string;
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
  /** How far each partition has been applied (the next offset), and who waits for it. */
  private readonly applied = new CatchUp();
  private readonly listeners = new Set<CatalogueListener>();
  private readonly admin: KafkaAdmin;
  /** Restarts a crashed reader (each incarnation in a group of its own; what was applied is skipped when read again). */
  private readonly reader: PartitionedConsumer;
  private readyPromise: Promise<void> | undefined;
  private isReady = false;
  private closed = false;

  constructor(private readonly options: SubscriptionCatalogueOptions) {
    this.admin = options.kafka.admin();
    this.reader = new PartitionedConsumer({
      client: options.kafka, name: 'catalogue', logger: options.logger, watchTopics: [],
      settings: () => ({ groupId: `${options.groupIdPrefix}-${randomUUID()}`, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }),
      run: {
        topics: [options.topic], fromBeginning: true, partitionsConsumedConcurrently: 1, autoCommit: null, resolveBatchOnReturn: true,
        handler: { kind: 'batch', eachBatch: async (batch) => this.applyBatch(batch) },
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
    await this.reader.start();
    await this.readyPromise;
  }

  /** Caught up once, and its reader is running (not waiting to be restarted after a crash). */
  ready(): boolean {
    return this.isReady && !this.closed && this.reader.status().state === 'running';
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
    return this.waitFor(new Map([[partition, BigInt(offset) + 1n]]), timeoutMs);
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
    await this.reader.close();
    await this.admin.disconnect().catch(() => undefined);
  }

  private async latestOffsets(): Promise<Map<number, bigint>> {
    const offsets = await this.admin.watermarks(this.options.topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  private waitFor(targets: ReadonlyMap<number, bigint>, timeoutMs: number): Promise<void> {
    return this.applied.waitFor(targets, timeoutMs, () => new FleethookError('CATALOGUE_LAGGING', `catalogue did not catch up within ${timeoutMs} ms`, { retriable: true }));
  }

  private applyBatch(batch: FetchedBatch): void {
    for (const message of batch.messages) {
      // A restarted reader reads the topic again from the beginning: what was applied is not applied twice.
      const offset = BigInt(message.offset);
      if (offset < this.applied.position(batch.partition)) continue;
      const key = message.key?.toString('utf8') ?? '';
      this.apply(key, message.value, batch.partition, message.offset);
      this.applied.advance(batch.partition, offset + 1n);
    }
    // Compaction can leave a fetched range without messages; the batch still tells how far it got.
    this.applied.advance(batch.partition, BigInt(batch.lastOffset()) + 1n);
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
