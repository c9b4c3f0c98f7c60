import type { Logger } from '../../shared/logger.js';
import type { LoggedMessageAttempt } from '../../shared/message-log/message-log-record.js';
import type { MessageLog } from '../../shared/message-log/message-log-writer.js';
import { sleep } from './retry-delay.js';

interface Logged {
  readonly attempt: LoggedMessageAttempt;
  readonly body: Buffer | string;
  ack: Promise<boolean>;
}

/**
 * The attempts of one request call on their way to `webhook.messages`. Each attempt is
 * appended at once without waiting (the next try is not held up); `durable` is awaited
 * before a delivered request counts as delivered, so every attempt of it is in the log
 * before its dedupe mark, its offset commit or any marker that depends on it (rule 11 of
 * ARCHITECTURE.md). A failed append is appended again until it is acknowledged.
 */
export class RequestAttemptLog {
  private readonly logged: Logged[] = [];

  constructor(private readonly log: MessageLog, private readonly logger: Logger) {}

  record(attempt: LoggedMessageAttempt, body: Buffer | string): void {
    const entry: Logged = { attempt, body, ack: Promise.resolve(false) };
    entry.ack = this.write(entry);
    this.logged.push(entry);
  }

  /**
   * True once every recorded attempt is acknowledged. False when `stop` ends the retries of a
   * failed append: the request is then not finished here, and the next owner sends it again
   * under the same webhook-id and logs it then. An append in flight is waited for (not raced
   * with an abort: a listener per request cost ~2 % of the CPU); the producer's own request
   * timeout bounds it.
   */
  async durable(stop: AbortSignal): Promise<boolean> {
    for (let round = 0; ; round++) {
      const acks = await Promise.all(this.logged.map((l) => l.ack));
      if (acks.every(Boolean)) return true;
      if (stop.aborted) return false;
      await sleep(Math.min(5_000, 200 * 2 ** round), stop);
      if (stop.aborted) return false;
      for (const [i, l] of this.logged.entries()) if (acks[i] === false) l.ack = this.write(l);
    }
  }

  private write(entry: Logged): Promise<boolean> {
    return this.log.append(entry.attempt, entry.body).then(
      () => true,
      (err: unknown) => {
        this.logger.warn('message log append failed', { subscriptionId: entry.attempt.subscriptionId, webhookId: entry.attempt.webhookId, err });
        return false;
      },
    );
  }
}

