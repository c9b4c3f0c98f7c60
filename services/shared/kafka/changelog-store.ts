import { CatchUp } from './catch-up.js';
import type { ConsumedRecord } from './kafka-port.js';
import type { Logger } from '../logger.js';

/** A changelog value decoded: the entry, or why it cannot be read. */
export type DecodedEntry<T> = { readonly kind: 'ok'; readonly entry: T } | { readonly kind: 'invalid'; readonly reason: string };

export interface ChangelogStoreOptions<T> {
  /** What an entry is, for the log line about one that cannot be read. */
  readonly what: string;
  readonly decode: (value: Buffer) => DecodedEntry<T>;
  /** The record key an entry must be written under. */
  readonly keyOf: (entry: T) => string;
}

/**
 * Per-key state of the partitions a member owns, restored from a compacted changelog the
 * way Kafka Streams does: a new generation forgets everything, holds each partition, and
 * reads its changelog partition to the end it had when the generation began; only then are
 * that partition's input records processed. Afterwards the member's own writes keep the map
 * current (`keep`). An entry that cannot be read, or sits under another key, is dropped: the
 * key starts afresh rather than from a guess.
 */
export class ChangelogStore<T> {
  private readonly entries = new Map<string, T>();
  private restore = new CatchUp();
  private generationNo = 0;

  constructor(private readonly logger: Logger, private readonly o: ChangelogStoreOptions<T>) {}

  get generation(): number {
    return this.generationNo;
  }

  get size(): number {
    return this.entries.size;
  }

  view(): ReadonlyMap<string, T> {
    return this.entries;
  }

  /** A new generation: every partition it owns is held until restored. */
  begin(generation: number, partitions: readonly number[]): void {
    this.generationNo = generation;
    this.entries.clear();
    this.restore = new CatchUp();
    for (const p of partitions) this.restore.hold(p);
  }

  isRestoring(partition: number): boolean {
    return this.restore.isCatchingUp(partition);
  }

  /** The changelog partition must be read from `low` to `high` (exclusive); true when it is restored already. */
  expect(partition: number, low: bigint, high: bigint): boolean {
    return this.restore.expect(partition, low, high);
  }

  /** Applies changelog records read while restoring; true when this restored the partition. */
  applyChangelog(partition: number, records: readonly ConsumedRecord[], next: bigint): boolean {
    for (const r of records) {
      const key = r.key?.toString('utf8');
      if (key === undefined) continue;
      if (r.value === null) {
        this.entries.delete(key);
        continue;
      }
      const decoded = this.o.decode(r.value);
      if (decoded.kind === 'ok' && this.o.keyOf(decoded.entry) === key) this.entries.set(key, decoded.entry);
      else {
        this.entries.delete(key);
        this.logger.warn(`skipping undecodable ${this.o.what}`, { partition, offset: r.offset, key, reason: decoded.kind === 'invalid' ? decoded.reason : 'key does not match the entry' });
      }
    }
    return this.restore.advance(partition, next);
  }

  /** Keeps the entries a batch wrote (once the changelog has them). */
  keep(entries: ReadonlyMap<string, T>): void {
    for (const [key, entry] of entries) this.entries.set(key, entry);
  }
}
