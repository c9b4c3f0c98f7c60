import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { alertKinds } from './decide-alerts.js';
import { overCapAction } from './over-cap-action.js';
import type { SmtpFailure } from './classify-smtp-error.js';

export type AlerterMetrics = ReturnType<typeof createAlerterMetrics>;

/** Every alerter metric, declared once; labels are bounded (alert kind, failure reason class, event kind). */
export function createAlerterMetrics(options: { defaultMetrics: boolean }) {
  const registry = new Registry();
  const p = 'fleethook_alerter_';
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  const metrics = {
    registry,
    emailsSent: new Counter({ name: `${p}emails_sent_total`, help: 'E-mails accepted by the SMTP server, by alert kind', labelNames: ['kind'], registers: [registry] }),
    emailsFailed: new Counter({
      name: `${p}emails_failed_total`, help: 'E-mail sends that failed, by alert kind and reason (rejected = permanent, given up; transient = retried)',
      labelNames: ['kind', 'reason'], registers: [registry],
    }),
    emailsSkipped: new Counter({ name: `${p}emails_duplicate_skipped_total`, help: 'E-mails not sent because they were sent before (another instance, a repeat)', labelNames: ['kind'], registers: [registry] }),
    emailsSuppressed: new Counter({
      name: `${p}emails_suppressed_total`, help: 'E-mails not sent on purpose, by kind and reason (unconfirmed = address not confirmed; capped = over the address cap, dropped)',
      labelNames: ['kind', 'reason'], registers: [registry],
    }),
    emailsDeferred: new Counter({ name: `${p}emails_deferred_total`, help: 'Notices held back because the address is over its cap (sent once the window has room)', labelNames: ['kind'], registers: [registry] }),
    confirmationRequests: new Counter({
      name: `${p}confirmation_requests_total`, help: 'Alert-address confirmation requests read, by outcome (sent, capped, duplicate, expired, stale, invalid)',
      labelNames: ['outcome'], registers: [registry],
    }),
    events: new Counter({ name: `${p}failure_events_total`, help: 'Failure events read, by event kind', labelNames: ['kind'], registers: [registry] }),
    invalidEvents: new Counter({ name: `${p}invalid_events_total`, help: 'Records of webhook.failures that could not be decoded (skipped)', registers: [registry] }),
    failingSubscriptions: new Gauge({ name: `${p}failing_subscriptions`, help: 'Failing subscriptions on the partitions this instance owns', registers: [registry] }),
    pausedPartitions: new Gauge({ name: `${p}paused_partitions`, help: 'Partitions paused while sends are retried', registers: [registry] }),
    consumerLag: new Gauge({
      name: `${p}consumer_lag`, help: 'Failure events not yet committed by the alerter group (high watermark - committed offset), per group, topic and partition',
      labelNames: ['group', 'topic', 'partition'], registers: [registry],
    }),
  };
  // Every (bounded) label combination starts at 0, so rates and alerts see 0, not "no data".
  const reasons: readonly SmtpFailure['kind'][] = ['transient', 'rejected'];
  for (const kind of [...alertKinds, 'confirmation'] as const) {
    metrics.emailsSent.inc({ kind }, 0);
    metrics.emailsSkipped.inc({ kind }, 0);
    for (const reason of reasons) metrics.emailsFailed.inc({ kind, reason }, 0);
    metrics.emailsSuppressed.inc({ kind, reason: 'capped' }, 0);
    if (kind !== 'confirmation') metrics.emailsSuppressed.inc({ kind, reason: 'unconfirmed' }, 0);
    if (overCapAction(kind) === 'defer') metrics.emailsDeferred.inc({ kind }, 0);
  }
  for (const outcome of ['sent', 'capped', 'duplicate', 'rejected', 'expired', 'stale', 'invalid']) metrics.confirmationRequests.inc({ outcome }, 0);
  return metrics;
}
