import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What `/healthz` and `/readyz` answer; `detail` is added to both JSON bodies. */
export interface OpsHealth {
  /** Liveness: false only when restarting the process is the remaining remedy. */
  readonly healthy: boolean;
  /** Readiness: the service does its work (caught up, joined, connected). */
  readonly ready: boolean;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface OpsServerOptions {
  readonly registry: Registry;
  readonly health: () => OpsHealth;
  readonly host: string;
  /** 0 picks a free port (tests); `port` then tells which. */
  readonly port: number;
}

/**
 * The operations listener every long-running service has: `/metrics` (Prometheus text
 * of the service's registry), `/healthz` (200 or 503, `{ status: 'ok' | 'unhealthy' }`)
 * and `/readyz` (200 or 503, `{ status: 'ready' | 'not_ready' }`), each with the
 * service's detail; anything else is 404 `{ code: 'not_found' }`.
 */
export class OpsServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: OpsServerOptions): Promise<OpsServer> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const json = (status: number, body: Readonly<Record<string, unknown>>): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'GET') return json(405, { code: 'method_not_allowed' });
      if (path === '/metrics') {
        options.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          () => json(500, { code: 'internal_error' }),
        );
      } else if (path === '/healthz' || path === '/readyz') {
        let h: OpsHealth;
        try {
          h = options.health();
        } catch {
          return json(503, { status: path === '/healthz' ? 'unhealthy' : 'not_ready' });
        }
        const ok = path === '/healthz' ? h.healthy : h.ready;
        const status = path === '/healthz' ? (ok ? 'ok' : 'unhealthy') : ok ? 'ready' : 'not_ready';
        json(ok ? 200 : 503, { status, ...h.detail });
      } else {
        json(404, { code: 'not_found' });
      }
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
    return new OpsServer(server, port);
  }

  /** Stops listening and ends idle keep-alive connections; idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closing;
  }
}
