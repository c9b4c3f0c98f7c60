import { decodeConfirmationRequest } from '../../schemas/alert-confirmation-request.js';
import type { KafkaClient, RecordContext } from '../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../shared/kafka/partitioned-consumer.js';
import type { Logger } from '../shared/logger.js';
import type { AlertSender } from './alert-sender.js';
import type { AlerterMetrics } from './alerter-metrics.js';
import type { ConfirmedAddresses } from './confirmed-addresses.js';

export interface ConfirmationRequestConsumerOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly groupId: string;
  readonly sender: AlertSender;
  readonly confirmed: ConfirmedAddresses;
  readonly metrics: AlerterMetrics;
  readonly logger: Logger;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly sessionTimeoutMs: number;
}

/**
 * Reads `webhook.alert-confirmations` in a group of its own and e-mails each request's
 * address its confirmation link, once across instances (the request id is the dedupe id).
 * A request is skipped when its link has expired, or when the subscription no longer has
 * that address pending with that token (removed, replaced, or not written by an admin API).
 * Offsets are committed only once a request is settled; SMTP or Redis trouble retries the
 * same record with backoff, heartbeating, as the failure-event consumer does.
 */
export class ConfirmationRequestConsumer {
  /** Restarts a crashed consumer with backoff; /readyz fails while a partition with requests makes no progress. */
  private readonly consumer: PartitionedConsumer;
  private stopping = false;
  private readonly wakeSleepers = new Set<() => void>();

  constructor(private readonly o: ConfirmationRequestConsumerOptions) {
    this.consumer = new PartitionedConsumer({
      client: o.kafka, name: 'confirmations', logger: o.logger, watchTopics: [o.topic],
      settings: () => ({ groupId: o.groupId, sessionTimeoutMs: o.sessionTimeoutMs, heartbeatIntervalMs: Math.floor(o.sessionTimeoutMs / 10), maxWaitTimeMs: 500 }),
      run: {
        topics: [o.topic], fromBeginning: true, partitionsConsumedConcurrently: 4, autoCommit: null,
        handler: { kind: 'record', eachRecord: (r) => this.handle(r) },
      },
    });
  }

  get isJoined(): boolean {
    return this.consumer.ready() && !this.stopping;
  }

  async start(): Promise<void> {
    await this.consumer.start();
  }

  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const wake of this.wakeSleepers) wake();
    await this.consumer.close();
  }

  private async handle({ topic, partition, message, heartbeat }: RecordContext): Promise<void> {
    const offset = Number(message.offset);
    const fields = { topic, partition, offset, subscriptionId: message.key?.toString() ?? null };
    const decoded = decodeConfirmationRequest(message.value);
    if (decoded.kind === 'invalid') {
      this.o.metrics.confirmationRequests.inc({ outcome: 'invalid' });
      this.o.logger.error('undecodable confirmation request skipped', { ...fields, reason: decoded.reason });
      return this.commit(partition, offset);
    }
    const request = decoded.request;
    const logFields = { ...fields, requestId: request.requestId };
    let delayMs = this.o.retryMinMs;
    for (;;) {
      if (this.stopping) return; // uncommitted: the next owner sends it
      const outcome = await this.attempt(request, logFields);
      if (outcome !== 'retry') break;
      await this.sleep(delayMs);
      await heartbeat();
      delayMs = Math.min(delayMs * 2, this.o.retryMaxMs);
    }
    await this.commit(partition, offset);
  }

  private async attempt(request: Parameters<AlertSender['sendConfirmation']>[0], logFields: Record<string, unknown>): Promise<'settled' | 'retry'> {
    const nowMs = Date.now();
    if (Date.parse(request.expiresAt) <= nowMs) {
      this.o.metrics.confirmationRequests.inc({ outcome: 'expired' });
      this.o.logger.warn('confirmation request expired before it could be sent; skipped', logFields);
      return 'settled';
    }
    const current = await this.o.confirmed.requestIsCurrent(request.subscriptionId, request.token, nowMs);
    if (current === 'unknown') return 'retry';
    if (current === 'stale') {
      this.o.metrics.confirmationRequests.inc({ outcome: 'stale' });
      this.o.logger.info('confirmation request no longer matches a pending address; skipped', logFields);
      return 'settled';
    }
    const sent = await this.o.sender.sendConfirmation(request, logFields);
    if (sent.kind === 'retry') {
      this.o.logger.warn('confirmation e-mail delayed; retrying', { ...logFields, reason: sent.reason });
      return 'retry';
    }
    this.o.metrics.confirmationRequests.inc({ outcome: sent.sent > 0 ? 'sent' : sent.suppressed > 0 ? 'capped' : sent.duplicates > 0 ? 'duplicate' : 'rejected' });
    return 'settled';
  }

  private async commit(partition: number, offset: number): Promise<void> {
    await this.consumer.commitHandled(this.o.topic, partition, String(offset));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakeSleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeSleepers.add(done);
    });
  }
}
