import { randomBytes } from 'node:crypto';
import type { RecordProducer } from '../shared/kafka/kafka-port.js';
import type { AlertConfirmationRequest } from '../../schemas/alert-confirmation-request.js';
import type { Logger } from '../shared/logger.js';
import { urlWithoutCredentials } from '../shared/failures/url-without-credentials.js';
import { hashConfirmationToken, normalizeAddress, planConfirmationRequests } from '../shared/subscriptions/alert-email-confirmations.js';
import type { AlertEmailConfirmation, AlertEmailConfirmations, StoredSubscription } from '../shared/subscriptions/subscription-types.js';

/** A confirmation e-mail still to be requested once the subscription record is written. */
export interface PendingConfirmation {
  readonly address: string;
  readonly token: string;
  readonly expiresAt: string;
}

export type ConfirmationWriteOutcome = 'written' | 'failed' | 'timed_out';

export interface AlertConfirmationRequestsDeps {
  readonly producer: RecordProducer;
  /** The broker name of `webhook.alert-confirmations`. */
  readonly topic: string;
  /** The admin API as the address holder reaches it, e.g. `https://fleethook.example.com`. */
  readonly publicUrl: string;
  readonly ttlMs: number;
  /** How long a create/patch waits for the broker before answering anyway. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly count: (outcome: ConfirmationWriteOutcome) => void;
}

/**
 * Asks the alerter to e-mail each newly added alert address its confirmation link.
 * `prepare` (before the subscription write) draws one unguessable token per address that
 * needs one and returns the confirmation map to store (hashes only); `send` (after the
 * write) produces one request per address to `webhook.alert-confirmations`, awaited at
 * most `timeoutMs`. A request that cannot be written leaves the address pending without
 * an e-mail; writing the list again once the link has expired asks again.
 */
export class AlertConfirmationRequests {
  constructor(private readonly deps: AlertConfirmationRequestsDeps) {}

  prepare(subscriptionId: string, current: AlertEmailConfirmations | undefined, alertEmails: readonly string[], now: Date): { confirmations: AlertEmailConfirmations; pending: PendingConfirmation[] } {
    const plan = planConfirmationRequests(current, alertEmails, now.getTime());
    const expiresAt = new Date(now.getTime() + this.deps.ttlMs).toISOString();
    const confirmations: Record<string, AlertEmailConfirmation> = { ...plan.kept };
    const pending = plan.toRequest.map((address) => {
      const token = `${subscriptionId}.${randomBytes(32).toString('base64url')}`;
      confirmations[normalizeAddress(address)] = { state: 'pending', tokenHash: hashConfirmationToken(token), requestedAt: now.toISOString(), expiresAt };
      return { address, token, expiresAt };
    });
    return { confirmations, pending };
  }

  confirmUrl(token: string): string {
    return `${this.deps.publicUrl.replace(/\/+$/, '')}/v1/alert-email-confirmations/${encodeURIComponent(token)}`;
  }

  async send(sub: StoredSubscription, pending: readonly PendingConfirmation[], now: Date): Promise<void> {
    if (pending.length === 0) return;
    const requests: AlertConfirmationRequest[] = pending.map((p) => ({
      schemaVersion: 1, requestId: `acr_${randomBytes(12).toString('hex')}`, at: now.toISOString(), subscriptionId: sub.id, accountId: sub.accountId,
      subscriptionName: sub.name, url: urlWithoutCredentials(sub.url), address: p.address, token: p.token, confirmUrl: this.confirmUrl(p.token), expiresAt: p.expiresAt,
    }));
    const log = this.deps.logger.child({ topic: this.deps.topic, subscriptionId: sub.id });
    const write = this.deps.producer.send(this.deps.topic, requests.map((r) => ({ key: r.subscriptionId, value: JSON.stringify(r) }))).then(() => 'written' as const, (err: unknown) => {
      log.warn('alert-address confirmation requests not written; the addresses stay pending without an e-mail', { err, addresses: requests.length });
      return 'failed' as const;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timed_out'>((resolve) => {
      timer = setTimeout(() => resolve('timed_out'), this.deps.timeoutMs);
    });
    const outcome = await Promise.race([write, deadline]);
    clearTimeout(timer);
    if (outcome === 'timed_out') log.warn('alert-address confirmation requests not acknowledged in time; answering without them', { timeoutMs: this.deps.timeoutMs });
    else if (outcome === 'written') log.info('alert-address confirmation requests written', { requestIds: requests.map((r) => r.requestId) });
    for (let i = 0; i < requests.length; i++) this.deps.count(outcome);
  }
}
