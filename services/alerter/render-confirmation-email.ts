import type { AlertConfirmationRequest } from '../../schemas/alert-confirmation-request.js';
import type { AlertEmail } from './render-alert-email.js';
import { escapeHtml, formatTime, safeUrl } from './render-alert-email.js';

/**
 * The one e-mail an unconfirmed address gets (pure): what it is about, the link, and the
 * code the owner can paste instead. Says plainly that nothing else is sent unless confirmed.
 */
export function renderConfirmationEmail(r: AlertConfirmationRequest): AlertEmail {
  const subject = `[fleethook] Confirm alerts for webhook "${r.subscriptionName}"`;
  const rows: [string, string][] = [
    ['Subscription', `${r.subscriptionName} (${r.subscriptionId})`],
    ['Account', r.accountId],
    ['Endpoint', safeUrl(r.url)],
    ['Link expires', formatTime(r.expiresAt)],
  ];
  const intro = `This address was added to receive failure alerts for the fleethook webhook "${r.subscriptionName}". No alert is sent to it until it is confirmed.`;
  const text = [
    intro, '', ...rows.map(([k, v]) => `${`${k}:`.padEnd(15)} ${v}`), '',
    `To confirm, open: ${r.confirmUrl}`,
    `Or give the subscription's owner this code: ${r.token}`,
    '', 'If you did not expect this, ignore it: nothing more will be sent, and the link expires.', '', '— fleethook',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    '<table cellpadding="4" style="border-collapse:collapse">',
    ...rows.map(([k, v]) => `<tr><th align="left" valign="top">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    `<p><a href="${escapeHtml(r.confirmUrl)}">Confirm this address</a></p>`,
    `<p>Or give the subscription's owner this code: <code>${escapeHtml(r.token)}</code></p>`,
    '<p>If you did not expect this, ignore it: nothing more will be sent, and the link expires.</p>',
    '<p style="color:#666">— fleethook</p></body></html>',
  ].join('\n');
  return { subject, text, html };
}
