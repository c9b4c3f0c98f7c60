import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { SecretBox } from '../shared/secret-box.js';
import { endpointHeaders } from '../shared/subscriptions/endpoint-headers.js';
import { openSubscription } from '../shared/subscriptions/seal-subscription.js';
import { liveSigningSecrets } from '../shared/subscriptions/signing-secrets.js';
import type { StoredSubscription, Subscription } from '../shared/subscriptions/subscription-types.js';
import { challengeResponse } from '../shared/webhook-signature.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import type { EndpointCall, EndpointCallLimiter } from './endpoint-call-limiter.js';
import { RateLimitedError } from './rate-limited-error.js';
import { classifyVerification } from './classify-verification.js';
import type { VerificationResult } from './classify-verification.js';
import { postToEndpoint } from './post-to-endpoint.js';
import type { EndpointOutcome } from './post-to-endpoint.js';
import type { RedisDeliveryFeed } from './redis-delivery-feed.js';
import type { SubscriptionService } from './subscription-service.js';
import { testEventBody } from './test-event-body.js';
import type { VerificationFailureNotifier } from './verification-failure-notifier.js';

export interface EndpointActionsDeps {
  readonly service: SubscriptionService;
  readonly box: SecretBox;
  readonly agent: Dispatcher;
  readonly timeoutMs: number;
  readonly now: () => Date;
  /** Writes a `verification_failed` event for the alerter; bounded in time, never throws. */
  readonly failures: Pick<VerificationFailureNotifier, 'notify'>;
  /** Verify and test calls per subscription per window, across instances. */
  readonly limiter: Pick<EndpointCallLimiter, 'take'>;
  /** The portal's live feed: every test event is appended (best effort, never throws). */
  readonly feed?: Pick<RedisDeliveryFeed, 'append'>;
}

export type TestEventResult = {
  readonly webhookId: string;
  readonly delivered: boolean;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
};

export function newMessageId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

function testEventResult(webhookId: string, outcome: EndpointOutcome): TestEventResult {
  if (outcome.kind === 'response') {
    const delivered = outcome.status >= 200 && outcome.status < 300;
    return { webhookId, delivered, statusCode: outcome.status, latencyMs: outcome.latencyMs, error: delivered ? null : `status ${outcome.status}` };
  }
  const error = outcome.kind === 'network_error' ? `network_error ${outcome.code}` : outcome.kind;
  return { webhookId, delivered: false, statusCode: null, latencyMs: outcome.latencyMs, error };
}

/** Verification and test events: the two calls the admin API makes to an endpoint. */
export class EndpointActions {
  constructor(private readonly deps: EndpointActionsDeps) {}

  async verify(principal: Principal, id: string): Promise<{ result: VerificationResult; subscription: StoredSubscription }> {
    const stored = await this.deps.service.get(principal, id);
    if (stored.state === 'paused' || stored.state === 'deactivated') {
      throw new ApiError('conflict', `cannot verify a ${stored.state} subscription; resume it first`, 'state');
    }
    await this.limit('verify', stored.id);
    const sub = openSubscription(this.deps.box, stored);
    const now = this.deps.now();
    const challenge = randomBytes(32).toString('hex');
    const body = JSON.stringify({ eventName: 'verify', challenge, subscriptionId: sub.id, accountId: sub.accountId, createdAt: now.toISOString() });
    const outcome = await this.send(sub, body, 'application/json', now);
    const expected = liveSigningSecrets(sub.signing, now).map((s) => challengeResponse(s, challenge));
    const result = classifyVerification(outcome, expected);
    if (result.kind === 'failed') {
      await this.deps.failures.notify(sub, result);
      return { result, subscription: stored };
    }
    return { result, subscription: await this.deps.service.markVerified(principal, id, sub.url) };
  }

  async test(principal: Principal, id: string): Promise<TestEventResult> {
    const stored = await this.deps.service.get(principal, id);
    const sub = openSubscription(this.deps.box, stored);
    const now = this.deps.now();
    const webhookId = newMessageId();
    const event = testEventBody(sub, webhookId, now);
    await this.limit('test', stored.id);
    const outcome = await this.send(sub, event.body, sub.contentType, now, webhookId);
    const result = testEventResult(webhookId, outcome);
    await this.deps.feed?.append(sub.id, {
      at: now.toISOString(), webhookId, mode: 'test', statusCode: result.statusCode, latencyMs: result.latencyMs, error: result.error,
      items: 1, contentType: sub.contentType, body: event.body,
    });
    return result;
  }

  /** Counted after the ownership and state checks, before anything is sent: a refused call costs the endpoint nothing. */
  private async limit(call: EndpointCall, subscriptionId: string): Promise<void> {
    const decision = await this.deps.limiter.take(call, subscriptionId);
    if (decision.kind === 'limited') {
      const what = call === 'verify' ? 'verification' : 'test-event';
      throw new RateLimitedError(`too many ${what} calls for this subscription (${decision.count} in the current window); retry after the Retry-After delay`, decision.retryAfterMs);
    }
  }

  private send(sub: Subscription, body: string, contentType: string, now: Date, webhookId = newMessageId()): ReturnType<typeof postToEndpoint> {
    const headers = endpointHeaders(sub, { webhookId, body, contentType, now });
    return postToEndpoint(this.deps.agent, sub.url, { headers, body, timeoutMs: this.deps.timeoutMs });
  }
}
