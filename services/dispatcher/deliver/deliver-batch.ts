import type { Dispatcher } from 'undici';
import type { Logger } from '../../shared/logger.js';
import type { StoredSubscription } from '../../shared/subscriptions/subscription-types.js';
import type { ClosedBatch } from './batch-accumulator.js';
import { buildWebhookRequest, webhookIdFor } from './build-webhook-request.js';
import { classifyDeliveryResult } from './classify-delivery-result.js';
import type { DeliveryOutcome } from './classify-delivery-result.js';
import type { DeliveryStatusRecorder } from './delivery-status-recorder.js';
import type { MessageLog } from '../../shared/message-log/message-log-writer.js';
import { RequestAttemptLog } from './request-attempt-log.js';
import type { DispatcherMetrics } from '../dispatcher-metrics.js';
import type { OpenedSubscriptions } from './opened-subscriptions.js';
import { statusClass } from '../dispatcher-metrics.js';
import { retryDelayMs, sleep } from './retry-delay.js';
import { sendWebhook } from './send-webhook.js';
import type { SendResult } from './send-webhook.js';

export type BatchResult =
  | { readonly kind: 'delivered'; readonly attempts: number }
  | { readonly kind: 'failed'; readonly failure: RequestFailure }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'abandoned' };

/** The request failed every attempt it was allowed (the quick retries, or one tier retry). */
export interface RequestFailure {
  readonly error: string;
  readonly statusCode: number | null;
  /** The endpoint's Retry-After (clamped), when it sent one. */
  readonly retryAfterMs?: number | undefined;
  /** 410 Gone: the endpoint asks to be deactivated at once. */
  readonly gone: boolean;
  readonly firstFailureAtMs: number;
  readonly webhookId: string;
}

export interface BatchDeliveryDeps {
  readonly agent: Dispatcher;
  readonly lookup: (subscriptionId: string) => StoredSubscription | undefined;
  readonly opened: OpenedSubscriptions;
  readonly recorder: DeliveryStatusRecorder;
  /** `webhook.messages`: every attempt with its exact body; a delivered request finishes only once its attempts are in it. */
  readonly messageLog: MessageLog;
  readonly metrics: DispatcherMetrics;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly quickRetryDelaysMs: readonly number[];
  readonly maxRetryDelayMs: number;
}

export interface BatchSignals {
  /** Aborted when the owner stops retrying (rebalance, shutdown). */
  readonly stop: AbortSignal;
  /** Aborted when even a request in flight must end. */
  readonly kill: AbortSignal;
  /** Aborted (with `stop`, or alone at shutdown) when a failed request may no longer wait to be retried here: it is `abandoned`, and the next owner sends it again. */
  readonly retries?: AbortSignal;
  /** Items queued for the subscription behind this request. */
  readonly queueDepth: () => number;
  /** Attempts before giving up with `failed` (default: the first one plus the quick retries). */
  readonly maxAttempts?: number;
  /** Attempts already made by earlier owners (the retry count in the body head). */
  readonly retryCountBase?: number;
  /** The stable webhook-id, when the request was built before (a parked head). */
  readonly webhookId?: string;
  /** When the head first failed (a parked head keeps its first failure). */
  readonly firstFailureAtMs?: number;
}

/** A Retry-After longer than this ends the quick retries at once: the head is parked and waits in the tiers. */
const longestQuickWaitMs = 10_000;

/** Subscriptions that receive requests: deleted, paused and deactivated ones do not. */
export function deliverable(sub: StoredSubscription | undefined): boolean {
  return sub !== undefined && (sub.state === 'active' || sub.state === 'failing');
}

/**
 * One request of one subscription (prepare → call → handle, the shape of svix's worker):
 * build and sign the body, POST it, classify the result, record the attempt, then either
 * finish or wait and try the same request again with the same webhook-id — up to
 * `maxAttempts`, then `failed` (the caller parks the subscription). 410 Gone and a long
 * Retry-After end the quick retries at once. Never throws for an expected outcome.
 */
export async function deliverBatch(deps: BatchDeliveryDeps, batch: ClosedBatch, signals: BatchSignals): Promise<BatchResult> {
  const webhookId = signals.webhookId ?? webhookIdFor(batch.subscriptionId, batch);
  const createdAt = new Date();
  // A batch rebuilt without its opening time (an old retry ticket) says when this request was first built.
  const enqueueTime = batch.openedAtMs === undefined ? createdAt : new Date(batch.openedAtMs);
  const maxAttempts = signals.maxAttempts ?? deps.quickRetryDelaysMs.length + 1;
  let firstFailureAtMs = signals.firstFailureAtMs;
  const attemptLog = new RequestAttemptLog(deps.messageLog, deps.logger);
  for (let attempt = 0; ; attempt++) {
    if (signals.stop.aborted) return { kind: 'abandoned' };
    const stored = deps.lookup(batch.subscriptionId);
    if (stored === undefined) return { kind: 'skipped', reason: 'subscription deleted' };
    if (!deliverable(stored)) return { kind: 'skipped', reason: `subscription ${stored.state}` };
    const sub = deps.opened.get(stored);
    if (attempt === 0) deps.recorder.messagesQueued(sub.id, batch.items.length);
    const now = new Date();
    // Only the bytes outlive this line (the text is garbage before the send): see WebhookRequest.bytes.
    const { headers, bytes: body } = buildWebhookRequest(sub, batch, { webhookId, createdAt, enqueueTime, retryCount: (signals.retryCountBase ?? 0) + attempt, queueDepth: signals.queueDepth(), now });
    deps.metrics.inFlight.inc();
    const sent = await sendWebhook(deps.agent, sub.url, headers, body, {
      timeoutMs: deps.requestTimeoutMs, maxResponseBytes: deps.maxResponseBytes, signal: signals.kill,
    });
    deps.metrics.inFlight.dec();
    if (signals.kill.aborted) return { kind: 'abandoned' };
    const outcome = classifyDeliveryResult(sent.result, now);
    observe(deps, batch, outcome, sent);
    const logged = { at: now.toISOString(), statusCode: statusOf(sent), latencyMs: sent.latencyMs, webhookId };
    const shown = { body, contentType: sub.contentType, items: batch.items.length };
    const retryCount = (signals.retryCountBase ?? 0) + attempt;
    const base = { webhookId, subscriptionId: sub.id, accountId: sub.accountId, contentType: sub.contentType, itemCount: batch.items.length, retryCount, trigger: 'dispatch' as const };
    if (outcome.kind === 'delivered') {
      deps.recorder.attempt(sub.id, { kind: 'delivered', attempt: { ...logged, error: null }, items: batch.items.length, backlogSize: signals.queueDepth(), sent: shown });
      attemptLog.record({ ...base, at: logged.at, statusCode: logged.statusCode, latencyMs: logged.latencyMs, error: null, outcome: 'delivered' }, body);
      if (!(await attemptLog.durable(signals.stop))) return { kind: 'abandoned' };
      return { kind: 'delivered', attempts: attempt + 1 };
    }
    attemptLog.record({ ...base, at: logged.at, statusCode: logged.statusCode, latencyMs: logged.latencyMs, error: outcome.reason, outcome: 'failed' }, body);
    firstFailureAtMs ??= now.getTime();
    const retryAfterMs = outcome.kind === 'retry' ? outcome.retryAfterMs : undefined;
    const last = attempt + 1 >= maxAttempts || outcome.kind === 'gone' || (retryAfterMs ?? 0) > longestQuickWaitMs;
    const delayMs = retryDelayMs(attempt, { quickDelaysMs: deps.quickRetryDelaysMs, maxDelayMs: deps.maxRetryDelayMs }, retryAfterMs);
    // The next retry time of a request about to be parked is the tier's; the parking step records it.
    deps.recorder.attempt(sub.id, { kind: 'failed', attempt: { ...logged, error: outcome.reason }, nextRetryAt: last ? null : new Date(Date.now() + delayMs).toISOString(), backlogSize: signals.queueDepth(), sent: shown });
    deps.logger.warn('delivery attempt failed', { subscriptionId: sub.id, webhookId, attempt, reason: outcome.reason, retryInMs: last ? null : delayMs, items: batch.items.length });
    if (last) {
      return { kind: 'failed', failure: { error: outcome.reason, statusCode: statusOf(sent), retryAfterMs, gone: outcome.kind === 'gone', firstFailureAtMs, webhookId } };
    }
    const retries = signals.retries ?? signals.stop;
    if (retries.aborted) return { kind: 'abandoned' };
    await sleep(delayMs, retries);
    if (retries.aborted) return { kind: 'abandoned' };
  }
}

function statusOf(sent: SendResult): number | null {
  return sent.result.kind === 'response' ? sent.result.status : null;
}

function observe(deps: BatchDeliveryDeps, batch: ClosedBatch, outcome: DeliveryOutcome, sent: SendResult): void {
  const m = deps.metrics;
  m.deliveries.inc({ outcome: outcome.kind, status_class: statusClass(statusOf(sent)) });
  m.requestDuration.observe({ outcome: outcome.kind }, sent.latencyMs / 1_000);
  if (outcome.kind !== 'delivered') return;
  m.batchSize.observe({ kind: batch.kind }, batch.items.length);
  m.itemsDelivered.inc({ kind: batch.kind }, batch.items.length);
  const nowMs = Date.now();
  // Bound once per request: prom-client's observe() builds a closure and a labels object per call.
  const latency = m.endToEndLatency.labels();
  for (const p of batch.items) latency.observe((nowMs - p.item.recordTimeMs) / 1_000);
}
