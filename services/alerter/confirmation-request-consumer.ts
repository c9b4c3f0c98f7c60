import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { decodeConfirmationRequest } from '../../schemas/alert-confirmation-request.js';
import type { Logger } from '../shared/logger.js';
import { ConsumerSupervisor } from '../shared/supervision/consumer-supervisor.js';
import type { AlertSender } from './alert-sender.js';
import type { AlerterMetrics } from './alerter-metrics.js';
import type { ConfirmedAddresses } from './confirmed-addresses.js';

export interface ConfirmationRequestConsumerOptions {
  readonly kafka: Kafka;
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
  private readonly supervisor: ConsumerSupervisor;
  /** The current incarnation's consumer. */
  private consumer: Consumer | null = null;
  private stopping = false;
  private readonly wakeSleepers = new Set<() => void>();

  constructor(private readonly o: ConfirmationRequestConsumerOptions) {
    this.supervisor = new ConsumerSupervisor({
      name: 'confirmations', kafka: o.kafka, groupId: o.groupId, topics: [o.topic], logger: o.logger,
      create: () => {
        this.consumer = o.kafka.consumer({ groupId: o.groupId, sessionTimeout: o.sessionTimeoutMs, heartbeatInterval: Math.floor(o.sessionTimeoutMs / 10), maxWaitTimeInMs: 500 });
        return this.consumer;
      },
      run: async (consumer) => {
        await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
        await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 4, eachMessage: (p) => this.handle(p) });
      },
    });
  }

  get isJoined(): boolean {
    return this.supervisor.ready() && !this.stopping;
  }

  async start(): Promise<void> {
    await this.supervisor.start();
  }

  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const wake of this.wakeSleepers) wake();
    await this.supervisor.close();
  }

  private async handle({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
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
    await this.consumer?.commitOffsets([{ topic: this.o.topic, partition, offset: String(offset + 1) }]);
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
