import type { KafkaClient } from '../kafka/kafka-port.js';
import { CompactedTopicReader } from '../compacted/compacted-topic-reader.js';
import type { Logger } from '../logger.js';
import { LandmarkIndex } from './landmark-index.js';
import { decodeLandmarkRecord } from './landmark-record-codec.js';
import type { Landmark, LandmarkLookup } from './landmark-types.js';
import type { WrittenPosition } from './landmark-writer.js';

/**
 * Every landmark, materialised from the compacted landmark topic (key = landmark id, a
 * null value deletes), with a spatial index per account. The admin API writes through
 * it; the deriver only reads. Changes apply live, so a landmark added while a deriver
 * runs is tested from its next point on.
 */
export class LandmarkRegistry {
  private readonly landmarks = new Map<string, Landmark>();
  private readonly index = new LandmarkIndex();
  private readonly reader: CompactedTopicReader;

  constructor(private readonly options: { kafka: KafkaClient; topic: string; logger: Logger; groupIdPrefix: string }) {
    this.reader = new CompactedTopicReader({
      kafka: options.kafka, topic: options.topic, logger: options.logger, name: 'landmarks', groupIdPrefix: options.groupIdPrefix,
      apply: (key, value, partition, offset) => this.apply(key, value, partition, offset),
    });
  }

  start(timeoutMs?: number): Promise<void> {
    return this.reader.start(timeoutMs);
  }

  ready(): boolean {
    return this.reader.ready();
  }

  catchUp(timeoutMs: number): Promise<void> {
    return this.reader.catchUp(timeoutMs);
  }

  waitForOffset(at: WrittenPosition, timeoutMs: number): Promise<void> {
    return this.reader.waitForOffset(at.partition, at.offset, timeoutMs);
  }

  get(id: string): Landmark | undefined {
    return this.landmarks.get(id);
  }

  /** An account's landmarks (all with null), sorted by id (= creation order). */
  list(accountId: string | null): Landmark[] {
    const all = [...this.landmarks.values()].filter((l) => accountId === null || l.accountId === accountId);
    return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  count(accountId: string): number {
    let n = 0;
    for (const l of this.landmarks.values()) if (l.accountId === accountId) n++;
    return n;
  }

  lookup(accountId: string): LandmarkLookup {
    return this.index.lookup(accountId);
  }

  close(): Promise<void> {
    return this.reader.close();
  }

  private apply(key: string, value: Buffer | null, partition: number, offset: string): void {
    if (value === null) {
      this.landmarks.delete(key);
      this.index.remove(key);
      return;
    }
    const decoded = decodeLandmarkRecord(value);
    if (decoded.kind === 'invalid' || decoded.landmark.id !== key) {
      const reason = decoded.kind === 'invalid' ? decoded.reason : 'key does not match landmark id';
      this.options.logger.error('skipping undecodable landmark record', { topic: this.options.topic, partition, offset, key, reason });
      return;
    }
    this.landmarks.set(key, decoded.landmark);
    this.index.upsert(decoded.landmark);
  }
}
