import type { OutgoingRecord, RecordProducer } from '../kafka/kafka-port.js';
import { chunkBySize } from '../kafka-message-size.js';
import { encodeMessageAttempt } from './message-log-record.js';
import type { LoggedMessageAttempt } from './message-log-record.js';

/** Where attempts go; the dispatcher's deliver stage and the admin API's resend write through it. */
export interface MessageLog {
  /** Resolves once the attempt (with its body) is acknowledged by every in-sync replica. */
  append(attempt: LoggedMessageAttempt, body: Buffer | string): Promise<void>;
}

/** One produce request stays under the topic's 1 MiB batch limit; a request body is at most ~400 KiB. */
const writeBudgetBytes = 512 * 1024;

interface Waiting {
  readonly record: OutgoingRecord;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Appends attempts to `webhook.messages`. Appends asked for in the same turn of the event
 * loop, or while the previous send is in flight, go in one gzip-compressed produce request,
 * so many subscriptions finishing their requests together cost one round trip. Give it a
 * producer of its own: bodies are large, and the intents and parking writes of the hot path
 * must not queue behind them.
 */
export class MessageLogWriter implements MessageLog {
  private waiting: Waiting[] = [];
  /** A flush loop is scheduled or running: appends made meanwhile join its next send. */
  private flushing = false;

  constructor(private readonly producer: RecordProducer, readonly topic: string) {}

  /** The body as sent: a string is written as its UTF-8 bytes (no copy made here). */
  append(attempt: LoggedMessageAttempt, body: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ record: encodeMessageAttempt(attempt, body), resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * Sends what waits, then what arrived during that send, until nothing waits. The producer
   * has one request in flight, so a send per event-loop turn would queue behind the broker's
   * round trip; gathering what arrives meanwhile keeps the log's write rate independent of it.
   */
  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      for (const chunk of chunkBySize(batch.map((w) => ({ ...w.record, waiting: w })), writeBudgetBytes)) {
        try {
          await this.producer.sendBatch([{ topic: this.topic, messages: chunk.map(({ waiting: _, ...record }) => record) }], { compression: 'gzip' });
          for (const c of chunk) c.waiting.resolve();
        } catch (err) {
          for (const c of chunk) c.waiting.reject(err);
        }
      }
    }
    this.flushing = false;
  }
}

/** For tests of other stages, and tools that deliver without a log. */
export const noMessageLog: MessageLog = { append: async () => undefined };
