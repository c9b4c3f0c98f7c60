import type { RecordProducer } from '../kafka/kafka-port.js';
import type { FailureEvent } from '../../../schemas/failure-event.js';
import { buildFailureEvent, newFailureEventId } from './build-failure-event.js';
import type { FailureChange, FailureEventSubject } from './build-failure-event.js';

/**
 * Writes failure events to `webhook.failures`, keyed by subscription id so one
 * subscription's events stay in order on one partition (co-partitioned with its
 * deliveries). The caller owns the producer (idempotent, acks=all); `emit` resolves once
 * the broker has the event.
 */
export class FailureEventEmitter {
  constructor(
    private readonly producer: RecordProducer,
    /** The broker name of `webhook.failures` (with the topic prefix). */
    private readonly topic: string,
    private readonly now: () => number = Date.now,
  ) {}

  async emit(subject: FailureEventSubject, change: FailureChange): Promise<FailureEvent> {
    const event = buildFailureEvent(subject, change, { eventId: newFailureEventId(), nowMs: this.now() });
    await this.producer.send(this.topic, [{ key: event.subscriptionId, value: JSON.stringify(event), headers: { 'fleethook-event-kind': event.kind } }]);
    return event;
  }
}
