import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readRequestBody } from '../shared/http/read-request-body.js';
import type { Logger } from '../shared/logger.js';
import type { AdminMetrics } from './admin-metrics.js';
import type { Reply, Route } from './admin-routes.js';
import { ApiError } from './api-error.js';
import type { ApiKeyAuthenticator, Principal } from './authenticate.js';
import { toErrorResponse } from './error-response.js';
import type { RouteTable } from './route-table.js';

export interface AdminServerDeps {
  readonly routes: RouteTable<Route>;
  readonly authenticator: ApiKeyAuthenticator;
  readonly metrics: AdminMetrics;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
}

/**
 * The admin API on plain `node:http`. About fifteen routes need no framework: this keeps
 * full control over body caps, unknown-field rejection and the single error mapping, and
 * adds no dependency to audit. Routing is a small table (route-table.ts).
 */
export class AdminServer {
  private readonly server: Server;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: AdminServerDeps) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 60_000;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting connections and waits for in-flight requests (idempotent). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const method = req.method ?? 'GET';
    const lookup = this.deps.routes.lookup(method, url.pathname);
    const template = lookup.kind === 'found' ? lookup.match.template : lookup.kind === 'method_not_allowed' ? lookup.template : 'unmatched';
    let reply: Reply;
    try {
      if (lookup.kind === 'not_found') throw new ApiError('not_found', `no route for ${url.pathname}`);
      if (lookup.kind === 'method_not_allowed') {
        res.setHeader('allow', lookup.allowed.join(', '));
        throw new ApiError('method_not_allowed', `${method} is not allowed here; use ${lookup.allowed.join(', ')}`);
      }
      const { handler, params } = lookup.match;
      const principal = this.deps.authenticator.authenticate(req.headers.authorization);
      if (handler.auth && !principal) throw new ApiError('unauthorized', 'missing or invalid API key (Authorization: Bearer <key>)');
      const body = await this.readBody(req, handler.body);
      reply = await handler.run({ principal: handler.auth ? (principal as Principal) : null, params, query: url.searchParams, body });
    } catch (err) {
      const mapped = toErrorResponse(err);
      if (mapped.logDetail) this.deps.logger.error('admin request failed', { route: template, method, err, cause: (err as Error).cause });
      if (mapped.status === 413) res.setHeader('connection', 'close');
      if (mapped.status === 401) res.setHeader('www-authenticate', 'Bearer');
      for (const [name, value] of Object.entries(mapped.headers ?? {})) res.setHeader(name, value);
      reply = { status: mapped.status, json: mapped.body };
    }
    this.send(res, reply);
    this.deps.metrics.observe(template, method, reply.status, (performance.now() - started) / 1000);
  }

  private async readBody(req: IncomingMessage, mode: Route['body']): Promise<unknown> {
    if (mode === 'none') return undefined;
    const read = await readRequestBody(req, this.deps.bodyLimitBytes);
    if (read.kind === 'too_large') throw new ApiError('payload_too_large', `request body exceeds ${read.limitBytes} bytes`, '(body)');
    if (read.kind === 'aborted') throw new ApiError('invalid_request', 'request body was not received completely', '(body)');
    if (read.bytes.length === 0 && mode === 'empty') return undefined;
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new ApiError('unsupported_media_type', 'send the body as application/json', '(body)');
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.bytes.toString('utf8'));
    } catch (err) {
      throw new ApiError('invalid_json', `body is not valid JSON: ${(err as Error).message}`, '(body)');
    }
    if (mode === 'empty' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length > 0)) {
      const first = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed)[0] : undefined;
      throw new ApiError('validation_failed', first ? 'unknown field' : 'this action takes no body, or {}', first ?? '(body)');
    }
    return parsed;
  }

  private send(res: ServerResponse, reply: Reply): void {
    res.setHeader('cache-control', 'no-store');
    if (!('json' in reply) && !('text' in reply)) {
      res.writeHead(reply.status).end();
    } else if ('json' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(reply.json));
    } else {
      res.writeHead(reply.status, { 'content-type': reply.contentType }).end(reply.text);
    }
  }
}
