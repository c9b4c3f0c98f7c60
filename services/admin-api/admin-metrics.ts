import { Counter, Histogram, Registry } from 'prom-client';
import type { ConfirmationWriteOutcome } from './alert-confirmation-requests.js';
import type { EndpointCall, LimitOutcome } from './endpoint-call-limiter.js';
import type { FailureEventWriteOutcome } from './verification-failure-notifier.js';

export interface AdminMetrics {
  readonly registry: Registry;
  observe(route: string, method: string, status: number, seconds: number): void;
  /** One verification-failure event write to `webhook.failures` and how it ended. */
  failureEventWrite(outcome: FailureEventWriteOutcome): void;
  /** One verify/test rate-limit check and how it was decided. */
  rateLimitCheck(call: EndpointCall, outcome: LimitOutcome): void;
  /** One alert-address confirmation request to `webhook.alert-confirmations` and how it ended. */
  confirmationRequestWrite(outcome: ConfirmationWriteOutcome): void;
}

/** Declared once; labels are bounded (route template, method, status class). */
export function createAdminMetrics(registry: Registry = new Registry()): AdminMetrics {
  const requests = new Counter({
    name: 'fleethook_admin_http_requests_total',
    help: 'Admin API requests by route template, method and status class.',
    labelNames: ['route', 'method', 'status_class'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'fleethook_admin_http_request_duration_seconds',
    help: 'Admin API request duration by route template.',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const failureEvents = new Counter({
    name: 'fleethook_admin_failure_event_writes_total',
    help: 'verification_failed events written to webhook.failures, by outcome (written, failed, timed_out, dropped).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['written', 'failed', 'timed_out', 'dropped'] as const) failureEvents.inc({ outcome }, 0);
  const rateLimitChecks = new Counter({
    name: 'fleethook_admin_rate_limit_checks_total',
    help: 'Verify/test calls checked against the per-subscription limit, by call and outcome (allowed, limited; _local when Redis was unavailable).',
    labelNames: ['call', 'outcome'] as const,
    registers: [registry],
  });
  const confirmationRequests = new Counter({
    name: 'fleethook_admin_alert_confirmation_requests_total',
    help: 'Alert-address confirmation requests written to webhook.alert-confirmations, by outcome (written, failed, timed_out).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    observe(route, method, status, seconds) {
      requests.inc({ route, method, status_class: `${Math.floor(status / 100)}xx` });
      duration.observe({ route }, seconds);
    },
    failureEventWrite(outcome) {
      failureEvents.inc({ outcome });
    },
    rateLimitCheck(call, outcome) {
      rateLimitChecks.inc({ call, outcome });
    },
    confirmationRequestWrite(outcome) {
      confirmationRequests.inc({ outcome });
    },
  };
}
