import { CompactedTopicReader } from '../shared/compacted/compacted-topic-reader.js';
import type { KafkaClient } from '../shared/kafka/kafka-port.js';
import type { Logger } from '../shared/logger.js';
import type { SlotMark } from './plan-slot.js';
import { decodeSlotRecord } from './slot-record.js';

/**
 * Each scheduled subscription's last slot, read from the compacted `scheduler.slots` by
 * every instance (a standby is ready to take over). The active scheduler also notes its
 * own writes at once; a record is applied only if it is newer than what is known, so the
 * reader catching up with those writes never moves a mark back.
 */
export class SlotLedger {
  private readonly marks = new Map<string, SlotMark>();
  private readonly reader: CompactedTopicReader;

  constructor(private readonly options: { kafka: KafkaClient; topic: string; logger: Logger; groupIdPrefix: string }) {
    this.reader = new CompactedTopicReader({
      kafka: options.kafka, topic: options.topic, logger: options.logger, name: 'scheduler-slots', groupIdPrefix: options.groupIdPrefix,
      apply: (key, value, _partition, offset) => this.apply(key, value, offset),
    });
  }

  start(timeoutMs: number): Promise<void> {
    return this.reader.start(timeoutMs);
  }

  ready(): boolean {
    return this.reader.ready();
  }

  /** Resolves once every record written before the call is applied (a new active scheduler waits for this). */
  catchUp(timeoutMs: number): Promise<void> {
    return this.reader.catchUp(timeoutMs);
  }

  get(subscriptionId: string): SlotMark | undefined {
    return this.marks.get(subscriptionId);
  }

  /** A record this instance wrote, at `mark.offset`. */
  note(subscriptionId: string, mark: SlotMark): void {
    const known = this.marks.get(subscriptionId);
    if (known === undefined || BigInt(known.offset) < BigInt(mark.offset)) this.marks.set(subscriptionId, mark);
  }

  close(): Promise<void> {
    return this.reader.close();
  }

  private apply(key: string, value: Buffer | null, offset: string): void {
    if (value === null) {
      this.marks.delete(key);
      return;
    }
    const decoded = decodeSlotRecord(value);
    if (decoded.kind === 'invalid' || decoded.record.subscriptionId !== key) {
      this.options.logger.error('skipping an undecodable slot record', { topic: this.options.topic, offset, key, reason: decoded.kind === 'invalid' ? decoded.reason : 'key does not match subscriptionId' });
      return;
    }
    this.note(key, { slotMs: decoded.record.slotMs, state: decoded.record.state, offset });
  }
}
