import type { FailureEvent } from '../../schemas/failure-event.js';
import type { FailureChange, FailureEventSubject } from '../shared/failures/build-failure-event.js';
import type { Logger } from '../shared/logger.js';
import type { VerificationResult } from './classify-verification.js';
import { verificationFailureChange } from './verification-failure-change.js';

/** How one attempt to write a verification-failure event ended, as counted in the metric. */
export type FailureEventWriteOutcome = 'written' | 'failed' | 'timed_out' | 'dropped';

export interface VerificationFailureNotifierDeps {
  /** The shared `FailureEventEmitter` (idempotent producer, acks=all, key = subscription id). */
  readonly emitter: { emit(subject: FailureEventSubject, change: FailureChange): Promise<FailureEvent> };
  /** The broker name of `webhook.failures`, for the logs. */
  readonly topic: string;
  /** How long a verify call waits for the broker before answering anyway. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly count: (outcome: FailureEventWriteOutcome) => void;
  /** Writes still running after their deadline; beyond this, new events are dropped (and counted). */
  readonly maxPendingWrites?: number;
}

/**
 * Tells the alerter (through `webhook.failures`) that a verification failed. The caller
 * gets its verification result whatever happens here: the write is awaited at most
 * `timeoutMs`, and a failed or late write is logged and counted, never thrown. A write
 * that missed its deadline keeps going in the producer and may still land later (the
 * notice is then late, not lost); its final outcome is logged.
 */
export class VerificationFailureNotifier {
  private pending = 0;

  constructor(private readonly deps: VerificationFailureNotifierDeps) {}

  async notify(subject: FailureEventSubject, result: VerificationResult): Promise<FailureEventWriteOutcome | null> {
    const change = verificationFailureChange(result);
    if (change === null) return null;
    const log = this.deps.logger.child({ topic: this.deps.topic, subscriptionId: subject.id, kind: change.kind });
    if (this.pending >= (this.deps.maxPendingWrites ?? 1_000)) {
      log.warn('verification-failure event dropped: too many writes to webhook.failures still pending', { pending: this.pending });
      return this.counted('dropped');
    }
    this.pending += 1;
    const write = this.deps.emitter.emit(subject, change).then(
      (event) => ({ kind: 'written', event } as const),
      (err: unknown) => ({ kind: 'failed', err } as const),
    ).finally(() => {
      this.pending -= 1;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ kind: 'timed_out' }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timed_out' }), this.deps.timeoutMs);
    });
    const first = await Promise.race([write, deadline]);
    clearTimeout(timer);
    switch (first.kind) {
      case 'written':
        log.info('verification-failure event written', { eventId: first.event.eventId });
        return this.counted('written');
      case 'failed':
        log.warn('verification-failure event not written', { err: first.err });
        return this.counted('failed');
      case 'timed_out':
        log.warn('verification-failure event not confirmed in time; answering without it', { timeoutMs: this.deps.timeoutMs });
        void write.then((late) => {
          if (late.kind === 'written') log.info('verification-failure event written late', { eventId: late.event.eventId });
          else log.warn('verification-failure event not written (after its deadline)', { err: late.err });
        });
        return this.counted('timed_out');
    }
  }

  private counted(outcome: FailureEventWriteOutcome): FailureEventWriteOutcome {
    this.deps.count(outcome);
    return outcome;
  }
}
