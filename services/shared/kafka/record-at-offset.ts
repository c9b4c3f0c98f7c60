import { randomUUID } from 'node:crypto';
import type { ConsumedRecord, KafkaClient } from './kafka-port.js';

/**
 * Reads the one record at `offset` of a partition: a short-lived consumer in a group of
 * its own (nothing committed, so the broker forgets the group) that seeks there as soon
 * as it has joined. A join costs a round of group protocol, so this is for cold reads
 * (a body no longer held in memory), never for a hot path. Null when the offset is gone
 * (retention) or not read within `timeoutMs`.
 */
export async function readRecordAt(kafka: KafkaClient, topic: string, partition: number, offset: bigint, timeoutMs: number): Promise<ConsumedRecord | null> {
  const consumer = kafka.consumer({ groupId: `fleethook-record-at-${randomUUID()}`, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 200 });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ConsumedRecord | null>((resolve, reject) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
      consumer.onJoin((assignment) => {
        if (assignment[topic]?.includes(partition) === true) consumer.seek(topic, partition, String(offset));
      });
      consumer.onCrash(({ error, restarting }) => {
        if (!restarting) reject(error);
      });
      consumer.run({
        topics: [topic], fromBeginning: false, partitionsConsumedConcurrently: 1, autoCommit: null,
        handler: {
          kind: 'batch',
          eachBatch: async (batch) => {
            if (batch.partition !== partition) return;
            const found = batch.messages.find((m) => BigInt(m.offset) === offset);
            if (found !== undefined) resolve(found);
            // Read past it without finding it: deleted by retention (the fetch starts at the earliest offset kept).
            else if (batch.messages.some((m) => BigInt(m.offset) > offset)) resolve(null);
          },
        },
      }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
