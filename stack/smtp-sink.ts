import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress } from 'smtp-server';
import { SmtpMessageStore } from './smtp-message-store.js';
import type { SinkMessage } from './smtp-message-store.js';

export interface SmtpSinkOptions {
  readonly host: string;
  readonly smtpPort: number;
  readonly webPort: number;
  readonly dataDir: string;
  /** Recipients matching this are refused with a permanent `550` (a bad address). */
  readonly rejectPattern: RegExp;
  /** Recipients matching this are refused with a temporary `451` (try again later). */
  readonly deferPattern: RegExp;
}

export interface SmtpSink {
  readonly smtpPort: number;
  readonly webPort: number;
  readonly store: SmtpMessageStore;
  close(): Promise<void>;
}

/** Error whose `responseCode` smtp-server sends as the SMTP reply. */
function smtpReply(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/**
 * A development SMTP server that accepts everything (no TLS, any or no AUTH), except
 * recipients matching the reject/defer patterns, and keeps what it receives for tests and
 * people: `GET /messages[?to=…]` (JSON), `DELETE /messages`, `GET /` (HTML), `GET /healthz`.
 */
export async function startSmtpSink(opts: SmtpSinkOptions): Promise<SmtpSink> {
  const store = new SmtpMessageStore(opts.dataDir);
  const smtp = new SMTPServer({
    banner: 'fleethook SMTP sink',
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1_024 * 1_024,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'sink' }),
    onRcptTo: (address: SMTPServerAddress, _session, callback) => {
      if (opts.rejectPattern.test(address.address)) return callback(smtpReply(550, '5.1.1 mailbox unavailable (sink reject rule)'));
      if (opts.deferPattern.test(address.address)) return callback(smtpReply(451, '4.2.0 try again later (sink defer rule)'));
      return callback();
    },
    onData: (stream, session, callback) => {
      simpleParser(stream).then(
        (mail) => {
          store.add({
            envelopeFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? '',
            from: mail.from?.text ?? '',
            to: addressText(mail.to),
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
          });
          callback();
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
  smtp.on('error', () => undefined); // a client's broken connection is not the sink's problem
  const smtpPort = await new Promise<number>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(opts.smtpPort, opts.host, () => resolve((smtp.server.address() as AddressInfo).port));
  });
  const web = createHttpServer((req, res) => handleWeb(store, req, res));
  const webPort = await new Promise<number>((resolve, reject) => {
    web.once('error', reject);
    web.listen(opts.webPort, opts.host, () => resolve((web.address() as AddressInfo).port));
  });
  return {
    smtpPort,
    webPort,
    store,
    close: async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await closeHttp(web);
    },
  };
}

function addressText(to: AddressObject | AddressObject[] | undefined): string {
  if (to === undefined) return '';
  return (Array.isArray(to) ? to : [to]).map((a) => a.text).join(', ');
}

function handleWeb(store: SmtpMessageStore, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://sink');
  if (req.method === 'GET' && url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  } else if (req.method === 'GET' && url.pathname === '/messages') {
    const to = url.searchParams.get('to') ?? undefined;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(store.list(to === undefined ? {} : { to })));
  } else if (req.method === 'DELETE' && url.pathname === '/messages') {
    store.clear();
    res.writeHead(204).end();
  } else if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(renderIndex(store.list().slice(-200).reverse()));
  } else {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"not_found"}');
  }
}

function renderIndex(messages: readonly SinkMessage[]): string {
  const rows = messages
    .map(
      (m) =>
        `<details><summary>${escape(m.receivedAt)} — <b>${escape(m.subject)}</b> → ${escape(m.envelopeTo.join(', '))}</summary>` +
        `<pre>${escape(m.text)}</pre></details>`,
    )
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>fleethook SMTP sink</title><h1>fleethook SMTP sink (${messages.length} newest)</h1>\n${rows}\n`;
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
