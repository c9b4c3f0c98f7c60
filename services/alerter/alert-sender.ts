import type { Logger } from '../shared/logger.js';
import type { AlertDedupe } from './alert-dedupe.js';
import type { AlerterMetrics } from './alerter-metrics.js';
import { classifySmtpError } from './classify-smtp-error.js';
import type { PlannedAlert } from './decide-alerts.js';
import { renderAlertEmail } from './render-alert-email.js';
import type { RenderOptions } from './render-alert-email.js';
import type { Mailer } from './smtp-mailer.js';

export type SendOutcome =
  /** Every recipient got it, had it before, or was definitively rejected. */
  | { readonly kind: 'done'; readonly sent: number; readonly rejected: number; readonly duplicates: number }
  /** Something must be tried again later (SMTP or Redis down, another instance mid-send). */
  | { readonly kind: 'retry'; readonly reason: string };

/**
 * Sends one planned alert to each of the subscription's addresses, one message per
 * recipient so that one bad or deferred address neither blocks nor repeats the others.
 * Recipients already done (this or another instance) are skipped through `AlertDedupe`.
 */
export class AlertSender {
  constructor(
    private readonly deps: {
      readonly mailer: Mailer;
      readonly dedupe: AlertDedupe;
      readonly metrics: AlerterMetrics;
      readonly logger: Logger;
      readonly render: RenderOptions;
    },
  ) {}

  async send(alert: PlannedAlert, logFields: Readonly<Record<string, unknown>>): Promise<SendOutcome> {
    const recipients = [...new Set(alert.event.alertEmails.map((a) => a.trim()).filter((a) => a !== ''))];
    const email = renderAlertEmail(alert, this.deps.render);
    const counts = { sent: 0, rejected: 0, duplicates: 0 };
    let retry: string | null = null;
    for (const to of recipients) {
      const outcome = await this.sendOne(alert, to, email, logFields);
      if (outcome === 'retry') retry ??= `send to a recipient of ${alert.kind} must be retried`;
      else counts[outcome] += 1;
    }
    if (recipients.length === 0) this.deps.logger.warn('alert has no recipients', { ...logFields, alert: alert.kind });
    return retry === null ? { kind: 'done', ...counts } : { kind: 'retry', reason: retry };
  }

  private async sendOne(
    alert: PlannedAlert, to: string, email: ReturnType<typeof renderAlertEmail>, logFields: Readonly<Record<string, unknown>>,
  ): Promise<'sent' | 'rejected' | 'duplicates' | 'retry'> {
    const { dedupe, mailer, metrics, logger } = this.deps;
    const fields = { ...logFields, alert: alert.kind, dedupeId: alert.dedupeId, recipient: to };
    let claim;
    try {
      claim = await dedupe.claim(alert.dedupeId, to);
    } catch (err) {
      logger.warn('cannot claim alert in Redis; will retry', { ...fields, err });
      return 'retry';
    }
    if (claim.kind === 'done') {
      metrics.emailsSkipped.inc({ kind: alert.kind });
      return 'duplicates';
    }
    if (claim.kind === 'busy') return 'retry';
    try {
      await mailer.send(to, email);
    } catch (err) {
      const failure = classifySmtpError(err);
      metrics.emailsFailed.inc({ kind: alert.kind, reason: failure.kind });
      if (failure.kind === 'transient') {
        logger.warn('alert e-mail not sent; will retry', { ...fields, reason: failure.reason });
        await dedupe.release(alert.dedupeId, to).catch(() => undefined);
        return 'retry';
      }
      logger.error('alert e-mail rejected for good; not retried', { ...fields, reason: failure.reason });
      return (await this.mark(alert, to, `rejected:${failure.responseCode}`, fields)) ? 'rejected' : 'retry';
    }
    metrics.emailsSent.inc({ kind: alert.kind });
    logger.info('alert e-mail sent', fields);
    // If this mark is lost, the claim expires and the e-mail may go out once more: at-least-once, never lost.
    await this.mark(alert, to, 'sent', fields);
    return 'sent';
  }

  private async mark(alert: PlannedAlert, to: string, outcome: string, fields: Readonly<Record<string, unknown>>): Promise<boolean> {
    try {
      await this.deps.dedupe.markDone(alert.dedupeId, to, outcome);
      return true;
    } catch (err) {
      this.deps.logger.warn('cannot mark alert done in Redis', { ...fields, err });
      return false;
    }
  }
}
