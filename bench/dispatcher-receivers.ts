import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local endpoints for the dispatcher benchmark. A healthy one answers 200 at once and
 * records, per item, the latency from the record's time to the moment the request
 * arrived (which is when a real endpoint would answer 2xx); a hanging one never answers.
 */
export class BenchReceiver {
  /** Latencies (ms) of items whose record time is at or after `measureFromMs`. */
  readonly latenciesMs: number[] = [];
  items = 0;
  requests = 0;
  /** Requests answered 200 (healthy receivers). */
  okRequests = 0;
  lastArrivalMs = 0;
  measureFromMs = Number.POSITIVE_INFINITY;
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(private readonly server: Server, readonly port: number) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(kind: 'healthy' | 'hanging'): Promise<BenchReceiver> {
    const server = createServer();
    // Batches come every 5 s; Node's default 5 s keep-alive would close sockets just before each burst.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 }, r));
    const receiver = new BenchReceiver(server, (server.address() as AddressInfo).port);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => (kind === 'healthy' ? receiver.handle(req, res) : receiver.hang(req)));
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}/${path}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private hang(req: IncomingMessage): void {
    this.requests++;
    req.resume();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrivedMs = Date.now();
      res.writeHead(200).end();
      this.requests++;
      this.okRequests++;
      this.lastArrivalMs = arrivedMs;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { time: string }[] };
      for (const item of body.data) {
        this.items++;
        const timeMs = Date.parse(item.time);
        if (timeMs >= this.measureFromMs) this.latenciesMs.push(arrivedMs - timeMs);
      }
    });
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
