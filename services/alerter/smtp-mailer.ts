import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { SmtpConfig } from './config.js';
import type { AlertEmail } from './render-alert-email.js';

export interface Mailer {
  /** Resolves once the SMTP server accepted the message for `to`; rejects with nodemailer's error. */
  send(to: string, email: AlertEmail): Promise<void>;
  close(): void;
}

/** nodemailer over SMTP; one connection per message (alerts are rare, and it keeps failures per message). */
export function createSmtpMailer(config: SmtpConfig): Mailer {
  const transport: Transporter = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.tls === 'tls',
    requireTLS: config.tls === 'starttls',
    ignoreTLS: config.tls === 'none',
    ...(config.user !== undefined && config.password !== undefined ? { auth: { user: config.user, pass: config.password } } : {}),
    connectionTimeout: config.connectionTimeoutMs,
    greetingTimeout: config.connectionTimeoutMs,
    socketTimeout: config.socketTimeoutMs,
    logger: false,
  });
  return {
    async send(to, email) {
      const info: { rejected?: unknown[] } = await transport.sendMail({ from: config.from, to, subject: email.subject, text: email.text, html: email.html });
      if (Array.isArray(info.rejected) && info.rejected.length > 0) {
        throw Object.assign(new Error(`recipient rejected: ${to}`), { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' });
      }
    },
    close: () => transport.close(),
  };
}
