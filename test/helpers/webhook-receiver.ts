import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from './wait-for.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly text: string;
  readonly receivedAt: number;
}

export interface ReplySpec {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the receiver does with the next requests; switch it at any time with `behave()`. */
export type ReceiverBehaviour =
  | { readonly kind: 'reply'; readonly reply: ReplySpec }
  | { readonly kind: 'hang' }
  | { readonly kind: 'redirect'; readonly status: 301 | 302 | 303 | 307 | 308; readonly location: string }
  | { readonly kind: 'delay'; readonly ms: number; readonly reply: ReplySpec }
  | { readonly kind: 'reset' }
  | { readonly kind: 'custom'; readonly handle: (req: RecordedRequest) => ReplySpec | Promise<ReplySpec> };

export const behaviours = {
  ok: (body = ''): ReceiverBehaviour => ({ kind: 'reply', reply: { status: 200, body } }),
  status: (status: number, body = '', headers: Record<string, string> = {}): ReceiverBehaviour => ({ kind: 'reply', reply: { status, body, headers } }),
  hang: (): ReceiverBehaviour => ({ kind: 'hang' }),
  redirect: (location: string, status: 301 | 302 | 303 | 307 | 308 = 302): ReceiverBehaviour => ({ kind: 'redirect', status, location }),
  delay: (ms: number, reply: ReplySpec = { status: 200 }): ReceiverBehaviour => ({ kind: 'delay', ms, reply }),
  reset: (): ReceiverBehaviour => ({ kind: 'reset' }),
  custom: (handle: (req: RecordedRequest) => ReplySpec | Promise<ReplySpec>): ReceiverBehaviour => ({ kind: 'custom', handle }),
} as const;

/**
 * A real HTTP endpoint for tests, on 127.0.0.1 and port 0. Records every request (all
 * of them, whatever the behaviour), and its behaviour can be switched mid-test
 * (200 → 500 → hang → 200). `close()` also ends hanging requests.
 */
export class WebhookReceiver {
  readonly requests: RecordedRequest[] = [];
  private behaviour: ReceiverBehaviour;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server, readonly port: number, behaviour: ReceiverBehaviour) {
    this.behaviour = behaviour;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(behaviour: ReceiverBehaviour = behaviours.ok()): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new WebhookReceiver(server, (server.address() as AddressInfo).port, behaviour);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void receiver.handle(req, res));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  behave(behaviour: ReceiverBehaviour): void {
    this.behaviour = behaviour;
  }

  clear(): void {
    this.requests.length = 0;
  }

  async waitForRequests(count: number, timeoutMs = 15_000): Promise<RecordedRequest[]> {
    return waitFor(() => this.requests.length >= count && this.requests.slice(), { timeoutMs, what: `${count} request(s) at the receiver` });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, body, text: body.toString('utf8'), receivedAt: Date.now() };
    this.requests.push(recorded);
    const b = this.behaviour;
    switch (b.kind) {
      case 'reply':
        return send(res, b.reply);
      case 'hang':
        return;
      case 'redirect':
        return send(res, { status: b.status, headers: { location: b.location } });
      case 'delay': {
        const t = setTimeout(() => {
          this.timers.delete(t);
          send(res, b.reply);
        }, b.ms);
        this.timers.add(t);
        return;
      }
      case 'reset':
        req.socket.destroy();
        return;
      case 'custom':
        return send(res, await b.handle(recorded));
    }
  }
}

function send(res: ServerResponse, reply: ReplySpec): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers }).end(reply.body ?? '');
}
