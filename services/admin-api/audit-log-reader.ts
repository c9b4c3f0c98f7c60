import { randomUUID } from 'node:crypto';
import type { GroupConsumer, KafkaClient } from '../shared/kafka/kafka-port.js';
import { ApiError } from './api-error.js';
import type { AuditRecord } from './audit-episodes.js';

export interface AuditLogReaderOptions {
  readonly kafka: KafkaClient;
  /** Broker name of `webhook.audit`. */
  readonly topic: string;
  readonly timeoutMs: number;
}

/**
 * Reads one subscription's records of `webhook.audit` as they stand now: every partition
 * from its start to the end it had when the call began, in a consumer group of its own
 * that commits nothing (a recovery is rare; the topic keeps 30 days). Records of other
 * subscriptions are passed over.
 */
export class AuditLogReader {
  constructor(private readonly o: AuditLogReaderOptions) {}

  async read(subscriptionId: string): Promise<AuditRecord[]> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    const targets = new Map<number, bigint>();
    try {
      for (const w of await admin.watermarks(this.o.topic)) if (BigInt(w.high) > BigInt(w.low)) targets.set(w.partition, BigInt(w.high));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (targets.size === 0) return [];
    const found: AuditRecord[] = [];
    const consumer = this.o.kafka.consumer({ groupId: `fleethook-admin-audit-${randomUUID()}`, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 200 });
    try {
      await this.readTo(consumer, targets, subscriptionId, found);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return found.sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  }

  private async readTo(consumer: GroupConsumer, targets: Map<number, bigint>, subscriptionId: string, found: AuditRecord[]): Promise<void> {
    let done: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (done = resolve));
    await consumer.connect();
    await consumer.run({
      topics: [this.o.topic], fromBeginning: true, partitionsConsumedConcurrently: 1, autoCommit: null, resolveBatchOnReturn: true,
      handler: {
        kind: 'batch',
        eachBatch: async (batch) => {
          const target = targets.get(batch.partition);
          if (target === undefined) return;
          for (const m of batch.messages) {
            if (BigInt(m.offset) >= target) break;
            if (m.key?.toString('utf8') === subscriptionId) found.push({ offset: m.offset, headers: m.headers, value: m.value });
          }
          if (BigInt(batch.lastOffset()) + 1n >= target) targets.delete(batch.partition);
          if (targets.size === 0) done();
        },
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError('unavailable', 'the audit topic could not be read in time; retry')), this.o.timeoutMs);
    });
    try {
      await Promise.race([reached, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
