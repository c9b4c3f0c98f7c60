import type { Dispatcher } from 'undici';
import type { Logger } from '../shared/logger.js';
import type { LoggedMessageAttempt } from '../shared/message-log/message-log-record.js';
import type { MessageLog } from '../shared/message-log/message-log-writer.js';
import type { SecretBox } from '../shared/secret-box.js';
import { endpointHeaders } from '../shared/subscriptions/endpoint-headers.js';
import { openSubscription } from '../shared/subscriptions/seal-subscription.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import type { EndpointCallLimiter } from './endpoint-call-limiter.js';
import { deliveryStatus } from './message-log-index.js';
import type { IndexedAttempt, IndexedMessage } from './message-log-index.js';
import type { MessageLogView } from './message-log-view.js';
import { decodeMessageQuery, encodeMessageCursor } from './message-query.js';
import { postToEndpoint } from './post-to-endpoint.js';
import { RateLimitedError } from './rate-limited-error.js';
import type { SubscriptionService } from './subscription-service.js';

export interface MessageServiceDeps {
  readonly view: Pick<MessageLogView, 'catchUp' | 'get' | 'list' | 'body'>;
  readonly service: Pick<SubscriptionService, 'get'>;
  readonly box: SecretBox;
  readonly agent: Dispatcher;
  readonly timeoutMs: number;
  readonly limiter: Pick<EndpointCallLimiter, 'take'>;
  /** The resend's own attempt goes to the log too. */
  readonly log: MessageLog;
  readonly logger: Logger;
  readonly now: () => Date;
}

/** The header that marks a resend; the body is the original's, byte for byte. */
export const resendHeader = 'webhook-resend';
const webhookIdPattern = /^msg_[A-Za-z0-9_-]{1,64}$/;

/** The delivery log's routes: list a subscription's requests, show one with its exact body, resend it. */
export class MessageService {
  constructor(private readonly d: MessageServiceDeps) {}

  async list(principal: Principal, subscriptionId: string, query: URLSearchParams): Promise<unknown> {
    const sub = await this.d.service.get(principal, subscriptionId);
    const filter = decodeMessageQuery(query, sub.id);
    await this.catchUp();
    const page = this.d.view.list(sub.id, filter);
    return {
      subscriptionId: sub.id,
      data: page.messages.map((m) => summary(m)),
      nextCursor: page.nextBefore === null ? null : encodeMessageCursor(sub.id, page.nextBefore),
    };
  }

  async show(principal: Principal, webhookId: string): Promise<unknown> {
    const m = await this.find(principal, webhookId);
    const attempt = bodyAttempt(m);
    const body = await this.body(m, attempt);
    return { ...summary(m), contentType: m.contentType, bodyAttemptAt: attempt.at, body: body.toString('utf8'), attempts: m.attempts.map(attemptView) };
  }

  /**
   * Sends the logged body again, byte for byte, with fresh Standard Webhooks headers (a new
   * timestamp and signature with today's secrets), the same webhook-id and `webhook-resend:
   * true`. It goes straight from here to the endpoint, outside the subscription's serial
   * stream, so it can neither hold up nor reorder live requests (ARCHITECTURE.md).
   */
  async resend(principal: Principal, webhookId: string): Promise<unknown> {
    const m = await this.find(principal, webhookId);
    const stored = await this.d.service.get(principal, m.subscriptionId).catch((err: unknown) => {
      if (err instanceof ApiError && err.apiCode === 'not_found') throw new ApiError('conflict', 'the subscription of this message was deleted; there is nowhere to send it', 'subscriptionId');
      throw err;
    });
    if (stored.state !== 'active' && stored.state !== 'failing') {
      throw new ApiError('conflict', `the subscription is ${stored.state}; only an active or failing subscription gets resends`, 'state');
    }
    const attempt = bodyAttempt(m);
    const body = await this.body(m, attempt);
    const decision = await this.d.limiter.take('test', stored.id);
    if (decision.kind === 'limited') throw new RateLimitedError(`too many test and resend calls for this subscription (${decision.count} in the current window); retry after the Retry-After delay`, decision.retryAfterMs);
    const sub = openSubscription(this.d.box, stored);
    const now = this.d.now();
    const text = body.toString('utf8');
    const headers = { ...endpointHeaders(sub, { webhookId: m.webhookId, body: text, contentType: m.contentType, now }), [resendHeader]: 'true' };
    const outcome = await postToEndpoint(this.d.agent, sub.url, { headers, body: text, timeoutMs: this.d.timeoutMs });
    const statusCode = outcome.kind === 'response' ? outcome.status : null;
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const error = delivered ? null : outcome.kind === 'response' ? `status ${outcome.status}` : outcome.kind === 'network_error' ? `network_error ${outcome.code}` : outcome.kind;
    const logged: LoggedMessageAttempt = {
      webhookId: m.webhookId, subscriptionId: m.subscriptionId, accountId: m.accountId, contentType: m.contentType, itemCount: m.itemCount,
      at: now.toISOString(), statusCode, latencyMs: outcome.latencyMs, error, outcome: delivered ? 'delivered' : 'failed', retryCount: attempt.retryCount, trigger: 'resend',
    };
    await this.d.log.append(logged, body).catch((err: unknown) => this.d.logger.warn('resend not written to the message log', { webhookId: m.webhookId, subscriptionId: m.subscriptionId, err }));
    return { webhookId: m.webhookId, delivered, statusCode, latencyMs: outcome.latencyMs, error };
  }

  /** Another account's message is indistinguishable from a missing one. */
  private async find(principal: Principal, webhookId: string): Promise<IndexedMessage> {
    if (!webhookIdPattern.test(webhookId)) throw new ApiError('validation_failed', 'must be a webhook-id (msg_…)', 'webhookId');
    // Caught up first: an attempt written just before (a resend, a retry) is shown.
    await this.catchUp();
    const m = this.d.view.get(webhookId);
    if (m === undefined || (principal.kind === 'account' && m.accountId !== principal.accountId)) {
      throw new ApiError('not_found', `no message ${webhookId} in the delivery log`, 'webhookId');
    }
    return m;
  }

  private async body(m: IndexedMessage, attempt: IndexedAttempt): Promise<Buffer> {
    const body = await this.d.view.body(m, attempt);
    if (body === null) throw new ApiError('unavailable', 'the body could not be read from the delivery log; retry shortly', 'webhookId');
    return body;
  }

  private async catchUp(): Promise<void> {
    await this.d.view.catchUp().catch((err: unknown) => {
      this.d.logger.warn('message log lagging', { err });
      throw new ApiError('unavailable', 'the delivery log is catching up; retry shortly');
    });
  }
}

/** The body shown and resent: the delivered attempt's, else the latest dispatched one's. */
function bodyAttempt(m: IndexedMessage): IndexedAttempt {
  const dispatched = m.attempts.filter((a) => a.trigger === 'dispatch');
  return dispatched.find((a) => a.outcome === 'delivered') ?? dispatched[dispatched.length - 1] ?? (m.attempts[m.attempts.length - 1] as IndexedAttempt);
}

function summary(m: IndexedMessage): Record<string, unknown> {
  const last = m.attempts[m.attempts.length - 1] as IndexedAttempt;
  return {
    webhookId: m.webhookId, subscriptionId: m.subscriptionId, createdAt: new Date(m.createdAtMs).toISOString(), itemCount: m.itemCount,
    attemptCount: m.attempts.length, status: deliveryStatus(m), lastStatusCode: last.statusCode, lastAttemptAt: last.at,
  };
}

function attemptView(a: IndexedAttempt): Record<string, unknown> {
  return { at: a.at, statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error, outcome: a.outcome, retryCount: a.retryCount, trigger: a.trigger };
}
