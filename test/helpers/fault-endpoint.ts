import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RecordedRequest } from './webhook-receiver.js';

/** What the endpoint does now: answer 200, answer a failure, hang, or refuse connections (port closed). */
export type EndpointMode =
  | { readonly kind: 'ok' }
  | { readonly kind: 'reply'; readonly status: number; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'hang' }
  | { readonly kind: 'refused' };

export interface ReplyRecord {
  readonly at: number;
  /** 0: hung (never answered). */
  readonly status: number;
}

/**
 * A real HTTP endpoint on 127.0.0.1 whose behaviour is switched by a fault injector.
 * `refused` closes the listening port (the dispatcher gets ECONNREFUSED) and any other
 * mode listens again on the same port. Records every request, those it answered 200
 * (`accepted`), and every answer with its time.
 */
export class FaultEndpoint {
  readonly received: RecordedRequest[] = [];
  readonly accepted: RecordedRequest[] = [];
  readonly replies: ReplyRecord[] = [];
  private mode: EndpointMode = { kind: 'ok' };
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(private port: number) {}

  static async start(): Promise<FaultEndpoint> {
    const ep = new FaultEndpoint(0);
    await ep.listen();
    return ep;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  get current(): EndpointMode {
    return this.mode;
  }

  async set(mode: EndpointMode): Promise<void> {
    const wasRefusing = this.mode.kind === 'refused';
    this.mode = mode;
    if (mode.kind === 'refused' && !wasRefusing) await this.unlisten();
    if (mode.kind !== 'refused' && wasRefusing) await this.listen();
    // Requests left hanging stay so: the dispatcher's request timeout ends them.
  }

  async close(): Promise<void> {
    this.mode = { kind: 'refused' };
    await this.unlisten();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        // The port was ours a moment ago; another process taking it in between is rare.
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async unlisten(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, body, text: body.toString('utf8'), receivedAt: Date.now() };
    this.received.push(recorded);
    const mode = this.mode;
    switch (mode.kind) {
      case 'ok':
        this.accepted.push(recorded);
        this.replies.push({ at: Date.now(), status: 200 });
        res.writeHead(200).end();
        return;
      case 'reply':
        this.replies.push({ at: Date.now(), status: mode.status });
        res.writeHead(mode.status, { 'content-type': 'text/plain', ...mode.headers }).end('fault injected');
        return;
      case 'hang':
        this.replies.push({ at: Date.now(), status: 0 });
        return;
      case 'refused':
        // Arrived on a connection opened before the port closed.
        req.socket.destroy();
        return;
    }
  }
}
