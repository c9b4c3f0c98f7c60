import type { SinkMessage } from '../../stack/smtp-message-store.js';
import type { SmtpSinkClient } from './smtp-sink-client.js';

export interface ConfirmationMail {
  readonly mail: SinkMessage;
  /** The link as the e-mail shows it (points at the admin API's public URL). */
  readonly link: string;
  /** The code the owner can paste instead. */
  readonly token: string;
}

export const isConfirmationMail = (m: SinkMessage): boolean => m.subject.startsWith('[fleethook] Confirm alerts for webhook');

/** Waits for the confirmation e-mail to `address` and reads the link and the code out of its text. */
export async function confirmationMailTo(sink: SmtpSinkClient, address: string, timeoutMs = 30_000): Promise<ConfirmationMail> {
  const messages = await sink.waitFor(address, (ms) => ms.some(isConfirmationMail), `the confirmation e-mail to ${address}`, timeoutMs);
  const mail = messages.find(isConfirmationMail) as SinkMessage;
  const link = /To confirm, open: (\S+)/.exec(mail.text)?.[1];
  const token = /this code: (\S+)/.exec(mail.text)?.[1];
  if (link === undefined || token === undefined) throw new Error(`no link or code in the confirmation e-mail: ${mail.text}`);
  return { mail, link, token };
}

/**
 * The holder's click: the link's path on the given admin API instance (the test does not know
 * its public URL), then the page's button: a POST to the form's action, resolved like a browser does.
 */
export async function confirmThroughLink(adminPort: number, link: string): Promise<{ page: Response; pageHtml: string; confirm: Response }> {
  const pageUrl = `http://127.0.0.1:${adminPort}${new URL(link).pathname}`;
  const page = await fetch(pageUrl);
  const pageHtml = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(pageHtml)?.[1]?.replaceAll('&amp;', '&');
  if (action === undefined) throw new Error(`no form on the confirmation page: ${pageHtml.slice(0, 300)}`);
  const confirm = await fetch(new URL(action, pageUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  return { page, pageHtml, confirm };
}
