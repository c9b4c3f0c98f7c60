import type { FailureEvent } from '../../schemas/failure-event.js';
import type { AlertKind, PlannedAlert } from './decide-alerts.js';
import { urlWithoutCredentials } from '../shared/failures/url-without-credentials.js';

export interface AlertEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface RenderOptions {
  /** Where the owner manages the subscription, e.g. the admin console; optional. */
  readonly consoleUrl?: string | undefined;
}

/** Plain text and HTML of one alert e-mail; pure. Subjects are built to be scanned in an inbox. */
export function renderAlertEmail(alert: PlannedAlert, options: RenderOptions = {}): AlertEmail {
  const e = alert.event;
  const rows = detailRows(alert);
  const advice = adviceFor(alert.kind, e);
  const intro = introFor(alert);
  const link = options.consoleUrl === undefined ? [] : [`Manage it: ${options.consoleUrl}`];
  const text = [intro, '', ...rows.map(([k, v]) => `${`${k}:`.padEnd(15)} ${v}`), '', 'What to do:', ...advice.map((a) => `  - ${a}`), ...(link.length ? ['', ...link] : []), '', '— fleethook'].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    '<table cellpadding="4" style="border-collapse:collapse">',
    ...rows.map(([k, v]) => `<tr><th align="left" valign="top">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    '<p><b>What to do</b></p><ul>',
    ...advice.map((a) => `<li>${escapeHtml(a)}</li>`),
    '</ul>',
    ...(options.consoleUrl === undefined ? [] : [`<p><a href="${escapeHtml(options.consoleUrl)}">Manage the subscription</a></p>`]),
    '<p style="color:#666">— fleethook</p></body></html>',
  ].join('\n');
  return { subject: subjectFor(alert), text, html };
}

function subjectFor(alert: PlannedAlert): string {
  const e = alert.event;
  const name = `Webhook "${e.subscriptionName}"`;
  const since = e.firstFailureAt === null ? '' : formatTime(e.firstFailureAt);
  switch (alert.kind) {
    case 'first_alert':
      return `[fleethook] ${name} is failing — deliveries paused since ${since || formatTime(e.at)}`;
    case 'reminder':
      return `[fleethook] Reminder: ${name} still failing since ${since || formatTime(e.at)}`;
    case 'recovery':
      return `[fleethook] ${name} recovered — deliveries resumed`;
    case 'deactivation':
      return `[fleethook] ${name} deactivated — ${e.discarded?.items ?? 0} undelivered items discarded`;
    case 'paused':
      return `[fleethook] ${name} paused — failing since ${since || formatTime(e.at)}`;
    case 'verification_failed':
      return `[fleethook] ${name} failed verification — not delivering yet`;
  }
}

function introFor(alert: PlannedAlert): string {
  const e = alert.event;
  switch (alert.kind) {
    case 'first_alert':
      return `Your webhook "${e.subscriptionName}" is failing. fleethook stopped sending to it after quick retries and keeps retrying on a schedule; newer data waits, in order, behind the failed request.`;
    case 'reminder':
      return `Your webhook "${e.subscriptionName}" is still failing (reminder ${alert.reminderNumber ?? ''}). Data keeps queueing behind the failed request.`;
    case 'recovery':
      return `Your webhook "${e.subscriptionName}" accepted a retried request. The queued data is being delivered in order, then live delivery resumes.`;
    case 'deactivation':
      return `Your webhook "${e.subscriptionName}" was deactivated under its retry policy (${e.retryPolicy}). Data that could not be delivered was set aside, not sent.`;
    case 'paused':
      return `Your webhook "${e.subscriptionName}" was paused under its retry policy (${e.retryPolicy}). Its data is kept and will be delivered when you resume it.`;
    case 'verification_failed':
      return `Your webhook "${e.subscriptionName}" did not answer the verification challenge correctly, so it is not live yet.`;
  }
}

function detailRows(alert: PlannedAlert): [string, string][] {
  const e = alert.event;
  const rows: [string, string][] = [
    ['Subscription', `${e.subscriptionName} (${e.subscriptionId})`],
    ['Account', e.accountId],
    ['Endpoint', safeUrl(e.url)],
  ];
  if (e.firstFailureAt !== null) rows.push(['Failing since', formatTime(e.firstFailureAt)]);
  if (e.lastError !== null || e.lastStatusCode !== null) rows.push(['Last error', lastError(e)]);
  if (e.backlogSize !== null) rows.push(['Backlog', `${e.backlogSize} items waiting`]);
  if (alert.kind !== 'recovery' && alert.kind !== 'verification_failed') rows.push(['Retries so far', String(e.retryCount)]);
  if (e.nextRetryAt !== null && (alert.kind === 'first_alert' || alert.kind === 'reminder')) rows.push(['Next retry', formatTime(e.nextRetryAt)]);
  if (e.discarded !== null) rows.push(['Discarded', `${e.discarded.items} items, written to ${e.discarded.topic}`]);
  rows.push(['Retry policy', e.retryPolicy], ['Event time', formatTime(e.at)]);
  return rows;
}

function adviceFor(kind: AlertKind, e: FailureEvent): string[] {
  switch (kind) {
    case 'first_alert':
    case 'reminder':
      return [
        'Check that the endpoint is up and answers POSTs with a 2xx within 15 seconds (redirects are not followed).',
        'Fix the error above; nothing else is needed — the next retry resumes delivery, in order.',
        `Under the ${e.retryPolicy} policy the subscription is deactivated if it keeps failing; send a test event to check a fix sooner.`,
      ];
    case 'recovery':
      return ['Nothing — this is for your information. Watch the backlog drain in the subscription status.'];
    case 'deactivation':
      return [
        'Fix the endpoint, then reactivate the subscription explicitly (it will not come back on its own).',
        'Ask your fleethook operator for the discarded data in the audit topic if you need it.',
      ];
    case 'paused':
      return ['Fix the endpoint, then resume the subscription; the kept data is delivered in order.'];
    case 'verification_failed':
      return [
        'Answer the challenge POST with a 2xx whose body is the hex HMAC-SHA256 of the challenge, keyed with the subscription secret.',
        'Then ask for verification again.',
      ];
  }
}

function lastError(e: FailureEvent): string {
  const status = e.lastStatusCode === null ? '' : `HTTP ${e.lastStatusCode}`;
  if (e.lastError === null) return status;
  return status === '' || e.lastError.includes(String(e.lastStatusCode)) ? e.lastError : `${e.lastError} (${status})`;
}

/** The URL without user info, and with secret-looking query values masked (the contract already strips credentials; this is the last guard). */
export const safeUrl = urlWithoutCredentials;

/** `2026-05-04 10:15 UTC`. */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
