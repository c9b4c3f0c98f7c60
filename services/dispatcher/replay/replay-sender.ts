import type { Dispatcher } from 'undici';
import { endpointHeaders } from '../../shared/subscriptions/endpoint-headers.js';
import type { Subscription } from '../../shared/subscriptions/subscription-types.js';
import { buildBody } from '../../shared/webhook/webhook-body.js';
import type { Logger } from '../../shared/logger.js';
import type { MessageLog } from '../../shared/message-log/message-log-writer.js';
import { classifyDeliveryResult } from '../deliver/classify-delivery-result.js';
import { RequestAttemptLog } from '../deliver/request-attempt-log.js';
import { sendWebhook } from '../deliver/send-webhook.js';
import type { ReplayRequestPlan } from './replay-plan.js';

export interface ReplaySenderDeps {
  readonly agent: Dispatcher;
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** Waits between the attempts of one request; after the last one the replay fails. */
  readonly retryDelaysMs: readonly number[];
  /** `webhook.messages`: every attempt with its body, like live requests (GET /v1/messages/:webhookId shows replays too). */
  readonly messageLog: MessageLog;
  readonly logger: Logger;
}

export type ReplaySendResult = { readonly kind: 'delivered' } | { readonly kind: 'failed'; readonly reason: string } | { readonly kind: 'stopped' };

/**
 * Sends one replay request, retrying with the given waits (a replay never parks its
 * subscription: it is a stream beside the live one). Every attempt is built anew under the
 * same `webhook-id`, `mode: "replay"` and the `replayId`; `enqueueTime` is the replay's
 * request time. Every attempt goes to the message log; a delivered request counts once its
 * attempts are durable there. A stop (cancel, hand-over) ends the waits, never an attempt under way.
 */
export async function sendReplayRequest(d: ReplaySenderDeps, sub: Subscription, plan: ReplayRequestPlan, meta: { readonly replayId: string; readonly requestedAt: Date; readonly createdAt: Date }, stop: AbortSignal): Promise<ReplaySendResult> {
  const data = `[${plan.items.map((i) => i.dataJson).join(',')}]`;
  const log = new RequestAttemptLog(d.messageLog, d.logger);
  for (let attempt = 0; ; attempt++) {
    const now = new Date();
    const body = buildBody(sub, plan.kind, data, {
      webhookId: plan.webhookId, mode: 'replay', replayId: meta.replayId, createdAt: meta.createdAt, enqueueTime: meta.requestedAt, requestTime: now,
      retryCount: attempt, queueDepth: 0,
    });
    const headers = endpointHeaders(sub, { webhookId: plan.webhookId, body, contentType: sub.contentType, now });
    const sent = await sendWebhook(d.agent, sub.url, headers, body, { timeoutMs: d.requestTimeoutMs, maxResponseBytes: d.maxResponseBytes });
    const outcome = classifyDeliveryResult(sent.result, now);
    log.record({
      webhookId: plan.webhookId, subscriptionId: sub.id, accountId: sub.accountId, contentType: sub.contentType, itemCount: plan.items.length, at: now.toISOString(),
      statusCode: sent.result.kind === 'response' ? sent.result.status : null, latencyMs: sent.latencyMs, error: outcome.kind === 'delivered' ? null : outcome.reason,
      outcome: outcome.kind === 'delivered' ? 'delivered' : 'failed', retryCount: attempt, trigger: 'dispatch',
    }, body);
    if (outcome.kind === 'delivered') return (await log.durable(stop)) ? { kind: 'delivered' } : { kind: 'stopped' };
    const wait = d.retryDelaysMs[attempt];
    if (outcome.kind === 'gone' || wait === undefined) return { kind: 'failed', reason: outcome.reason };
    if (!(await pause(wait, stop))) return { kind: 'stopped' };
  }
}

function pause(ms: number, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stop.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    stop.addEventListener('abort', onAbort, { once: true });
  });
}
