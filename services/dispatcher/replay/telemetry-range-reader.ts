import { randomUUID } from 'node:crypto';
import type { ConsumedRecord, GroupConsumer, KafkaClient } from '../../shared/kafka/kafka-port.js';

interface Pending {
  readonly partition: number;
  readonly end: bigint;
  next: bigint;
  readonly records: ConsumedRecord[];
  readonly resolve: (records: ConsumedRecord[]) => void;
}

/**
 * Reads offset ranges of one telemetry topic for one replay: a consumer in a group of its
 * own that commits nothing (positions live in the replay's `progress` records). Every
 * partition stays paused but the one being read; `read` seeks it to the range's start and
 * collects records until the range's end, then pauses it again.
 */
export class TelemetryRangeReader {
  private consumer: GroupConsumer | null = null;
  private pending: Pending | null = null;

  constructor(private readonly o: { readonly kafka: KafkaClient; readonly topic: string; readonly partitions: number; readonly groupPrefix: string; readonly timeoutMs: number }) {}

  async start(): Promise<void> {
    const consumer = this.o.kafka.consumer({ groupId: `${this.o.groupPrefix}-${randomUUID()}`, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 200 });
    this.consumer = consumer;
    const all = Array.from({ length: this.o.partitions }, (_, i) => i);
    const joined = new Promise<void>((resolve) => consumer.onJoin(() => resolve()));
    await consumer.connect();
    await consumer.run({
      topics: [this.o.topic], fromBeginning: true, partitionsConsumedConcurrently: 1, autoCommit: null, resolveBatchOnReturn: true,
      handler: {
        kind: 'batch',
        eachBatch: async (batch, ctx) => {
          const p = this.pending;
          if (p === null || p.partition !== batch.partition || ctx.isStale()) return;
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            if (offset < p.next || offset >= p.end) continue;
            p.records.push(m);
            p.next = offset + 1n;
          }
          const covered = BigInt(batch.lastOffset()) + 1n;
          if (covered > p.next) p.next = covered;
          if (p.next >= p.end || p.next >= BigInt(batch.highWatermark)) this.finish(p);
        },
      },
    });
    consumer.pause(this.o.topic, all);
    await joined;
    consumer.pause(this.o.topic, all);
  }

  /** The records of `partition` with offsets in [start, end), in order; rejects on `stop` or after the timeout. */
  async read(partition: number, start: bigint, end: bigint, stop: AbortSignal): Promise<ConsumedRecord[]> {
    const consumer = this.consumer;
    if (consumer === null) throw new Error('the range reader is not started');
    if (start >= end) return [];
    const done = new Promise<ConsumedRecord[]>((resolve) => {
      this.pending = { partition, end, next: start, records: [], resolve };
    });
    consumer.seek(this.o.topic, partition, String(start));
    consumer.resume(this.o.topic, [partition]);
    let timer: NodeJS.Timeout | undefined;
    let onStop = (): void => undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reading ${this.o.topic}[${partition}] ${start}..${end} timed out`)), this.o.timeoutMs);
      onStop = () => reject(new Error('stopped'));
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
    });
    try {
      return await Promise.race([done, late]);
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      this.pending = null;
      consumer.pause(this.o.topic, [partition]);
    }
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }

  private finish(p: Pending): void {
    if (this.pending !== p) return;
    this.consumer?.pause(this.o.topic, [p.partition]);
    p.resolve(p.records);
  }
}
