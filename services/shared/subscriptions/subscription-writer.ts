import type { RecordProducer } from '../kafka/kafka-port.js';
import { FleethookError } from '../errors.js';
import { encodeSubscriptionRecord } from './subscription-record-codec.js';
import type { StoredSubscription } from './subscription-types.js';

export interface WrittenPosition {
  readonly partition: number;
  readonly offset: number;
}

/**
 * Writes catalogue changes: one record per change, keyed by subscription id, acks=all on
 * the idempotent producer of the Kafka port. Returns where the record
 * landed so the caller can wait until its catalogue has applied it (read-your-writes).
 */
export class SubscriptionWriter {
  constructor(
    private readonly producer: RecordProducer,
    private readonly topic: string,
  ) {}

  put(sub: StoredSubscription): Promise<WrittenPosition> {
    return this.send(sub.id, encodeSubscriptionRecord(sub));
  }

  /** A tombstone: compaction removes the subscription; every catalogue drops it. */
  delete(subscriptionId: string): Promise<WrittenPosition> {
    return this.send(subscriptionId, null);
  }

  private async send(key: string, value: Buffer | null): Promise<WrittenPosition> {
    const [meta] = await this.producer.send(this.topic, [{ key, value }]);
    if (!meta || meta.baseOffset === undefined) {
      throw new FleethookError('CATALOGUE_WRITE_FAILED', `no offset returned for ${key}`, { retriable: true });
    }
    return { partition: meta.partition, offset: Number(meta.baseOffset) };
  }
}
