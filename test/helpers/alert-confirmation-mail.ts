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

/** The holder's click: the link's path on the given admin API instance (the test does not know its public URL), then the button (POST). */
export async function confirmThroughLink(adminPort: number, link: string): Promise<{ page: Response; confirm: Response }> {
  const path = new URL(link).pathname;
  const page = await fetch(`http://127.0.0.1:${adminPort}${path}`);
  const confirm = await fetch(`http://127.0.0.1:${adminPort}${path}`, { method: 'POST' });
  return { page, confirm };
}
