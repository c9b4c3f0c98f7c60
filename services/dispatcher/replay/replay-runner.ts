import type { Redis } from 'ioredis';
import type { KafkaClient, RecordProducer } from '../../shared/kafka/kafka-port.js';
import type { Logger } from '../../shared/logger.js';
import { encodeReplayRecord } from '../../shared/replay/replay-records.js';
import type { ReplayChunk, ReplayEnd, ReplayRange, ReplayRecord } from '../../shared/replay/replay-records.js';
import { writeReplayStatus } from '../../shared/replay/replay-status.js';
import type { ReplayState } from '../../shared/replay/replay-status.js';
import type { StoredSubscription, Subscription } from '../../shared/subscriptions/subscription-types.js';
import type { TelemetryDecoder } from '../../shared/telemetry/telemetry-decoder.js';
import { telemetryValidators, timeWindowAround } from '../../shared/telemetry/telemetry-rules.js';
import type { TelemetryItemKind } from '../delivery-item.js';
import type { ReplayEntry } from './replay-book.js';
import { replayItems } from './replay-items.js';
import { nextChunkEnd, planChunkRequests } from './replay-plan.js';
import { sendReplayRequest } from './replay-sender.js';
import type { ReplaySenderDeps } from './replay-sender.js';
import { TelemetryRangeReader } from './telemetry-range-reader.js';
import type { TokenBucket } from './token-bucket.js';

export interface ReplayRunnerDeps {
  readonly kafka: KafkaClient;
  readonly producer: RecordProducer;
  readonly decoder: TelemetryDecoder;
  readonly redis: Redis;
  readonly redisKeyPrefix: string;
  readonly logger: Logger;
  readonly lookup: (id: string) => StoredSubscription | undefined;
  readonly open: (stored: StoredSubscription) => Subscription;
  readonly sender: ReplaySenderDeps;
  readonly bucket: TokenBucket;
  /** `webhook.replays` and the telemetry topic of each kind. */
  readonly topics: { readonly replays: string; readonly telemetry: Readonly<Record<TelemetryItemKind, string>> };
  readonly groupPrefix: string;
  readonly chunkOffsets: number;
  /** How far around [from, to] the telemetry is read by Kafka time (late and early records). */
  readonly marginMs: number;
  readonly maxRecordAgeMs: number;
  readonly maxRecordAheadMs: number;
  readonly readTimeoutMs: number;
}

/**
 * Runs one replay on its owner (ARCHITECTURE.md, "Replays"): fixes the telemetry offsets
 * once (first `progress`), reads them chunk by chunk, re-matches for this subscription,
 * sends each request once it has a token of the instance's budget, one at a time, and
 * writes `progress` after each delivered request, so a new owner repeats at most the
 * request in flight, under the same `webhook-id`. `stop` (cancel read, hand-over) ends it
 * before the next request; `cancelled` is written only for a cancel.
 */
export class ReplayRunner {
  private entry: ReplayEntry;

  constructor(private readonly d: ReplayRunnerDeps, entry: ReplayEntry, private readonly partition: number, private readonly stop: AbortSignal, private readonly cancelled: () => boolean) {
    this.entry = entry;
  }

  async run(): Promise<void> {
    const stored = this.d.lookup(this.entry.subscriptionId);
    if (stored === undefined || stored.source.kind === 'scheduled' || stored.state === 'deactivated' || stored.state === 'paused') {
      await this.end('failed', stored === undefined ? 'the subscription was deleted' : `the subscription is ${stored.state}`);
      return;
    }
    const kind = stored.source.kind;
    const topic = this.d.topics.telemetry[kind];
    const ranges = this.entry.ranges ?? await this.planRanges(topic);
    if (this.entry.ranges === null) await this.progress(ranges, null);
    else await this.status('running', null);
    const reader = new TelemetryRangeReader({ kafka: this.d.kafka, topic, partitions: ranges.length, groupPrefix: this.d.groupPrefix, timeoutMs: this.d.readTimeoutMs });
    if (ranges.some((r) => BigInt(r.next) < BigInt(r.end))) await reader.start();
    try {
      const outcome = await this.send(reader, stored, kind, topic);
      if (outcome !== null) await this.end(outcome.end, outcome.reason);
    } finally {
      await reader.close();
    }
  }

  private async send(reader: TelemetryRangeReader, stored: StoredSubscription, kind: TelemetryItemKind, topic: string): Promise<{ end: ReplayEnd; reason: string | null } | null> {
    const validators = telemetryValidators(timeWindowAround(Date.now(), this.d.maxRecordAgeMs, this.d.maxRecordAheadMs));
    const window = { fromMs: this.entry.fromMs, toMs: this.entry.toMs };
    const requestedAt = new Date(this.entry.requestedAt);
    const createdAt = new Date();
    for (let i = 0; i < (this.entry.ranges ?? []).length; i++) {
      for (;;) {
        const range = (this.entry.ranges ?? [])[i] as ReplayRange;
        const start = BigInt(range.next);
        if (start >= BigInt(range.end)) break;
        const resumed = this.entry.chunk;
        const chunk: ReplayChunk = resumed !== null && resumed.partition === range.partition && resumed.start === range.next
          ? resumed : { partition: range.partition, start: range.next, end: String(nextChunkEnd(start, BigInt(range.end), this.d.chunkOffsets)), requestsDone: 0 };
        if (this.cancelled()) return { end: 'cancelled', reason: null };
        if (this.stop.aborted) return null;
        const records = await reader.read(chunk.partition, BigInt(chunk.start), BigInt(chunk.end), this.stop).catch((err: unknown) => {
          if (this.stop.aborted) return null;
          throw err;
        });
        if (records === null) return this.cancelled() ? { end: 'cancelled', reason: null } : null;
        const decoded = await this.d.decoder.decodeAll(kind, records.map((r) => r.value));
        const items = replayItems({
          sub: this.d.lookup(stored.id) ?? stored, kind, topic, partition: chunk.partition, validators, window,
          records: records.map((r, k) => ({ offset: r.offset, decoded: decoded[k] ?? { kind: 'poison', reason: 'missing' } })),
        });
        const requests = planChunkRequests(this.entry.replayId, kind, items, stored.batching.maxItems);
        for (let k = chunk.requestsDone; k < requests.length; k++) {
          if (this.cancelled()) return { end: 'cancelled', reason: null };
          if (this.stop.aborted) return null;
          await this.d.bucket.take(this.stop).catch(() => undefined);
          if (this.stop.aborted) return this.cancelled() ? { end: 'cancelled', reason: null } : null;
          const current = this.d.lookup(stored.id);
          if (current === undefined) return { end: 'failed', reason: 'the subscription was deleted' };
          const plan = requests[k] as (typeof requests)[number];
          const result = await sendReplayRequest(this.d.sender, this.d.open(current), plan, { replayId: this.entry.replayId, requestedAt, createdAt }, this.stop);
          if (result.kind === 'stopped') return this.cancelled() ? { end: 'cancelled', reason: null } : null;
          if (result.kind === 'failed') return { end: 'failed', reason: result.reason };
          this.entry = { ...this.entry, sent: this.entry.sent + 1, items: this.entry.items + plan.items.length };
          await this.progress(this.entry.ranges ?? [], { ...chunk, requestsDone: k + 1 });
        }
        const moved = (this.entry.ranges ?? []).map((r) => (r.partition === chunk.partition ? { ...r, next: chunk.end } : r));
        await this.progress(moved, null);
      }
    }
    return this.cancelled() ? { end: 'cancelled', reason: null } : { end: 'done', reason: null };
  }

  /** Per telemetry partition: from the first record at (from − margin) by Kafka time to the first at (to + margin), or the end now. */
  private async planRanges(topic: string): Promise<ReplayRange[]> {
    const admin = this.d.kafka.admin();
    await admin.connect();
    try {
      const starts = await admin.offsetsAt(topic, Math.max(0, this.entry.fromMs - this.d.marginMs));
      const ends = await admin.offsetsAt(topic, this.entry.toMs + this.d.marginMs);
      const endOf = new Map(ends.map((e) => [e.partition, e.offset]));
      return starts
        .map((s) => ({ partition: s.partition, next: s.offset, end: endOf.get(s.partition) ?? s.offset }))
        .sort((a, b) => a.partition - b.partition);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async progress(ranges: readonly ReplayRange[], chunk: ReplayChunk | null): Promise<void> {
    this.entry = { ...this.entry, ranges, chunk };
    await this.write({ type: 'progress', replayId: this.entry.replayId, ranges, chunk, sent: this.entry.sent, items: this.entry.items });
    await this.status('running', null);
  }

  private async end(end: ReplayEnd, reason: string | null): Promise<void> {
    await this.write({ type: end, replayId: this.entry.replayId, sent: this.entry.sent, items: this.entry.items, reason });
    await this.status(end, reason);
    this.d.logger.info('replay ended', { replayId: this.entry.replayId, subscriptionId: this.entry.subscriptionId, end, reason, requests: this.entry.sent, items: this.entry.items });
  }

  private async write(record: ReplayRecord): Promise<void> {
    await this.d.producer.send(this.d.topics.replays, [{ key: this.entry.subscriptionId, partition: this.partition, value: encodeReplayRecord(record) }]);
  }

  private async status(state: ReplayState, error: string | null): Promise<void> {
    const e = this.entry;
    await writeReplayStatus(this.d.redis, this.d.redisKeyPrefix, {
      id: e.replayId, subscriptionId: e.subscriptionId, accountId: e.accountId, from: new Date(e.fromMs).toISOString(), to: new Date(e.toMs).toISOString(),
      state, requestsSent: e.sent, itemsSent: e.items, requestedAt: e.requestedAt, updatedAt: new Date().toISOString(), error,
    }).catch((err: unknown) => this.d.logger.warn('could not record the replay status', { replayId: e.replayId, err }));
  }
}
