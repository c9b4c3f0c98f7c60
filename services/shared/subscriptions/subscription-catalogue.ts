import { CompactedTopicReader } from '../compacted/compacted-topic-reader.js';
import type { KafkaClient } from '../kafka/kafka-port.js';
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
  private readonly listeners = new Set<CatalogueListener>();
  /** Reads the topic from the beginning in a group of its own, restarts a crashed reader, gives read-your-writes. */
  private readonly reader: CompactedTopicReader;

  constructor(private readonly options: SubscriptionCatalogueOptions) {
    this.reader = new CompactedTopicReader({
      kafka: options.kafka, topic: options.topic, logger: options.logger, name: 'catalogue', groupIdPrefix: options.groupIdPrefix,
      apply: (key, value, partition, offset) => this.apply(key, value, partition, offset),
    });
  }

  /** Connects and starts applying; resolves once caught up with the topic as it was at start. */
  async start(timeoutMs = 60_000): Promise<void> {
    await this.reader.start(timeoutMs);
    this.options.logger.info('subscription catalogue ready', { topic: this.options.topic, subscriptions: this.subscriptions.size });
  }

  /** Caught up once, and its reader is running (not waiting to be restarted after a crash). */
  ready(): boolean {
    return this.reader.ready();
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
    return this.reader.waitForOffset(partition, offset, timeoutMs);
  }

  /**
   * Resolves once everything written before this call has been applied — how a second
   * instance gives read-your-writes for a change another instance made. Costs one
   * ListOffsets round trip.
   */
  catchUp(timeoutMs: number): Promise<void> {
    return this.reader.catchUp(timeoutMs);
  }

  close(): Promise<void> {
    return this.reader.close();
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
