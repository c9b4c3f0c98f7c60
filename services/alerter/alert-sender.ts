import type { AlertConfirmationRequest } from '../../schemas/alert-confirmation-request.js';
import type { Logger } from '../shared/logger.js';
import type { AddressCap, CapBucket } from './address-cap.js';
import type { AlertDedupe } from './alert-dedupe.js';
import type { AlerterMetrics } from './alerter-metrics.js';
import { classifySmtpError } from './classify-smtp-error.js';
import type { ConfirmedAddresses } from './confirmed-addresses.js';
import type { AlertKind, PlannedAlert } from './decide-alerts.js';
import { overCapAction } from './over-cap-action.js';
import { renderAlertEmail } from './render-alert-email.js';
import type { AlertEmail, RenderOptions } from './render-alert-email.js';
import { renderConfirmationEmail } from './render-confirmation-email.js';
import type { Mailer } from './smtp-mailer.js';

export type SendOutcome =
  /** Every recipient got it, had it before, was definitively rejected, or is not to get it (unconfirmed, over its cap). */
  | { readonly kind: 'done'; readonly sent: number; readonly rejected: number; readonly duplicates: number; readonly suppressed: number }
  /**
   * Something must be tried again later (SMTP or Redis down, another instance mid-send, an
   * address over its cap for a notice that must not be dropped: then `retryAfterMs` says when it has room).
   */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number };

type OneOutcome = 'sent' | 'rejected' | 'duplicates' | 'suppressed' | { readonly retryAfterMs: number | undefined };

interface Mail {
  readonly kind: AlertKind | 'confirmation';
  readonly dedupeId: string;
  readonly subscriptionId: string;
  readonly email: AlertEmail;
  readonly bucket: CapBucket;
}

/**
 * Sends one planned alert to each of the subscription's addresses, one message per
 * recipient so that one bad or deferred address neither blocks nor repeats the others.
 * Per recipient, in order: only a confirmed address (`ConfirmedAddresses`), once across
 * instances (`AlertDedupe`), within its cap for the window (`AddressCap`, see over-cap-action.ts).
 */
export class AlertSender {
  constructor(
    private readonly deps: {
      readonly mailer: Mailer;
      readonly dedupe: AlertDedupe;
      readonly cap: AddressCap;
      readonly confirmed: ConfirmedAddresses;
      readonly metrics: AlerterMetrics;
      readonly logger: Logger;
      readonly render: RenderOptions;
    },
  ) {}

  async send(alert: PlannedAlert, logFields: Readonly<Record<string, unknown>>): Promise<SendOutcome> {
    const recipients = [...new Set(alert.event.alertEmails.map((a) => a.trim()).filter((a) => a !== ''))];
    const mail: Mail = { kind: alert.kind, dedupeId: alert.dedupeId, subscriptionId: alert.event.subscriptionId, email: renderAlertEmail(alert, this.deps.render), bucket: 'alert' };
    if (recipients.length === 0) this.deps.logger.warn('alert has no recipients', { ...logFields, alert: alert.kind });
    return this.sendAll(mail, recipients, true, logFields);
  }

  /** The confirmation request itself goes to the (unconfirmed) address it is about, once, within the confirmation cap. */
  async sendConfirmation(request: AlertConfirmationRequest, logFields: Readonly<Record<string, unknown>>): Promise<SendOutcome> {
    const mail: Mail = { kind: 'confirmation', dedupeId: `confirm:${request.requestId}`, subscriptionId: request.subscriptionId, email: renderConfirmationEmail(request), bucket: 'confirmation' };
    return this.sendAll(mail, [request.address.trim()], false, logFields);
  }

  private async sendAll(mail: Mail, recipients: readonly string[], needsConfirmation: boolean, logFields: Readonly<Record<string, unknown>>): Promise<SendOutcome> {
    const counts = { sent: 0, rejected: 0, duplicates: 0, suppressed: 0 };
    let retry: { retryAfterMs: number | undefined } | null = null;
    for (const to of recipients) {
      const outcome = await this.sendOne(mail, to, needsConfirmation, logFields);
      if (typeof outcome === 'object') {
        // The soonest wait wins; an unknown wait (an outage) means the usual backoff.
        const soonest: number | undefined = retry === null ? outcome.retryAfterMs : retry.retryAfterMs === undefined || outcome.retryAfterMs === undefined ? undefined : Math.min(retry.retryAfterMs, outcome.retryAfterMs);
        retry = { retryAfterMs: soonest };
      } else counts[outcome] += 1;
    }
    if (retry === null) return { kind: 'done', ...counts };
    return { kind: 'retry', reason: `send to a recipient of ${mail.kind} must be retried`, ...(retry.retryAfterMs === undefined ? {} : { retryAfterMs: retry.retryAfterMs }) };
  }

  private async sendOne(mail: Mail, to: string, needsConfirmation: boolean, logFields: Readonly<Record<string, unknown>>): Promise<OneOutcome> {
    const { dedupe, mailer, metrics, logger } = this.deps;
    const fields = { ...logFields, alert: mail.kind, dedupeId: mail.dedupeId, recipient: to };
    const later = { retryAfterMs: undefined };
    if (needsConfirmation) {
      const check = await this.deps.confirmed.check(mail.subscriptionId, to);
      if (check === 'unknown') return later;
      if (check === 'unconfirmed') {
        metrics.emailsSuppressed.inc({ kind: mail.kind, reason: 'unconfirmed' });
        logger.info('alert not sent: the address is not confirmed', fields);
        return 'suppressed';
      }
    }
    let claim;
    try {
      claim = await dedupe.claim(mail.dedupeId, to);
    } catch (err) {
      logger.warn('cannot claim alert in Redis; will retry', { ...fields, err });
      return later;
    }
    if (claim.kind === 'done') {
      metrics.emailsSkipped.inc({ kind: mail.kind });
      return 'duplicates';
    }
    if (claim.kind === 'busy') return later;
    const capped = await this.takeCap(mail, to, fields);
    if (capped !== null) return capped;
    try {
      await mailer.send(to, mail.email);
    } catch (err) {
      const failure = classifySmtpError(err);
      metrics.emailsFailed.inc({ kind: mail.kind, reason: failure.kind });
      if (failure.kind === 'transient') {
        logger.warn('alert e-mail not sent; will retry', { ...fields, reason: failure.reason });
        await this.deps.cap.giveBack(mail.bucket, to).catch(() => undefined);
        await dedupe.release(mail.dedupeId, to).catch(() => undefined);
        return later;
      }
      logger.error('alert e-mail rejected for good; not retried', { ...fields, reason: failure.reason });
      return (await this.mark(mail, to, `rejected:${failure.responseCode}`, fields)) ? 'rejected' : later;
    }
    metrics.emailsSent.inc({ kind: mail.kind });
    logger.info('alert e-mail sent', fields);
    // If this mark is lost, the claim expires and the e-mail may go out once more: at-least-once, never lost.
    await this.mark(mail, to, 'sent', fields);
    return 'sent';
  }

  /** null: within the cap, go ahead. Otherwise what to report for this recipient (the claim is settled here). */
  private async takeCap(mail: Mail, to: string, fields: Readonly<Record<string, unknown>>): Promise<OneOutcome | null> {
    const { dedupe, metrics, logger } = this.deps;
    let decision;
    try {
      decision = await this.deps.cap.take(mail.bucket, to);
    } catch (err) {
      logger.warn('cannot count the address cap in Redis; will retry', { ...fields, err });
      await dedupe.release(mail.dedupeId, to).catch(() => undefined);
      return { retryAfterMs: undefined };
    }
    if (decision.kind === 'allowed') return null;
    if (overCapAction(mail.kind) === 'defer') {
      metrics.emailsDeferred.inc({ kind: mail.kind });
      logger.warn('address over its e-mail cap; notice deferred until the window has room', { ...fields, retryAfterMs: decision.retryAfterMs });
      await dedupe.release(mail.dedupeId, to).catch(() => undefined);
      return { retryAfterMs: decision.retryAfterMs };
    }
    metrics.emailsSuppressed.inc({ kind: mail.kind, reason: 'capped' });
    logger.warn('address over its e-mail cap; e-mail dropped', { ...fields, count: decision.count });
    // Marked done, so no instance sends it later: dropping is the decision, not a failure.
    return (await this.mark(mail, to, 'capped', fields)) ? 'suppressed' : { retryAfterMs: undefined };
  }

  private async mark(mail: Mail, to: string, outcome: string, fields: Readonly<Record<string, unknown>>): Promise<boolean> {
    try {
      await this.deps.dedupe.markDone(mail.dedupeId, to, outcome);
      return true;
    } catch (err) {
      this.deps.logger.warn('cannot mark alert done in Redis', { ...fields, err });
      return false;
    }
  }
}
