import type { OutgoingRecord, RecordProducer } from '../../shared/kafka/kafka-port.js';
import { chunkBySize } from '../../shared/kafka-message-size.js';
import { encodeRequestIntent } from './request-intent.js';

const writeBudgetBytes = 512 * 1024;

interface Waiting {
  readonly key: string;
  readonly value: Buffer;
  readonly partition: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Writes request intents to `webhook.intents` (the port's producer: idempotent, acks=all, the owner's
 * partition). Intents asked for in the same turn of the event loop go in one produce
 * request: many subscriptions start their requests together.
 */
export class IntentWriter {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly producer: RecordProducer, readonly topic: string) {}

  /** Resolves once the intent is acknowledged; the request may be sent only then. */
  write(partition: number, subscriptionId: string, offsets: readonly number[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ key: subscriptionId, partition, value: encodeRequestIntent({ offsets }), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    this.scheduled = false;
    // One produce request per chunk stays well under the topic's 1 MiB record batch limit.
    for (const chunk of chunkBySize(batch, writeBudgetBytes)) {
      try {
        await this.producer.send(this.topic, chunk.map((w): OutgoingRecord => ({ key: w.key, partition: w.partition, value: w.value })));
        for (const w of chunk) w.resolve();
      } catch (err) {
        for (const w of chunk) w.reject(err);
      }
    }
  }
}
