import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { parseRequestTarget } from '../shared/http/request-target.js';
import { parseStrictJson } from '../shared/http/parse-strict-json.js';
import { readRequestBody } from '../shared/http/read-request-body.js';
import type { Logger } from '../shared/logger.js';
import type { AdminMetrics } from './admin-metrics.js';
import type { Reply, Route } from './admin-routes.js';
import type { StreamSink } from './feed-stream.js';
import { ApiError } from './api-error.js';
import type { ApiKeyAuthenticator, Principal } from './authenticate.js';
import { clientErrorResponse } from './client-error-reply.js';
import { toErrorResponse } from './error-response.js';
import type { RouteTable } from './route-table.js';

export interface AdminServerDeps {
  readonly routes: RouteTable<Route>;
  readonly authenticator: ApiKeyAuthenticator;
  readonly metrics: AdminMetrics;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  /** Open connections beyond this are refused by the kernel backlog, bounding in-flight work. */
  readonly maxConnections: number;
}

/** A request target longer than this is a 414 (node:http refuses a request line over 16 KiB itself). */
export const maxTargetLength = 8_192;
/** JSON nested deeper than this is refused; no admin body needs more than a few levels. */
export const maxJsonDepth = 32;
/** Open live feeds per instance; more are a 503 (each holds a connection and polls Redis once a second). */
export const maxStreams = 200;

/**
 * The admin API on plain `node:http`. About fifteen routes need no framework: this keeps
 * full control over body caps, unknown-field rejection and the single error mapping, and
 * adds no dependency to audit. Routing is a small table (route-table.ts).
 */
export class AdminServer {
  private readonly server: Server;
  private closing: Promise<void> | undefined;
  /** Open event streams: ended on close, so `close()` does not wait for clients that never leave. */
  private readonly streams = new Set<AbortController>();

  constructor(private readonly deps: AdminServerDeps) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.lastResort(err, res));
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 60_000;
    this.server.maxConnections = deps.maxConnections;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.clientError(err, socket));
    // Without a listener node:http would drop a CONNECT request's socket unanswered.
    this.server.on('connect', (_req: IncomingMessage, socket: Socket) => socket.end(clientErrorResponse('CONNECT')));
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
      for (const stream of this.streams) stream.abort();
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    let template = 'unmatched';
    let reply: Reply;
    try {
      const target = parseRequestTarget(req.url, maxTargetLength);
      if (target.kind === 'invalid') {
        if (target.reason === 'too_long') throw new ApiError('uri_too_long', `the request target is longer than ${maxTargetLength} characters`);
        throw new ApiError('invalid_request', 'the request target must be a path (origin form, e.g. /v1/subscriptions)');
      }
      const lookup = this.deps.routes.lookup(method, target.path);
      if (lookup.kind === 'not_found') throw new ApiError('not_found', 'no such route');
      template = lookup.kind === 'found' ? lookup.match.template : lookup.template;
      if (lookup.kind === 'method_not_allowed') {
        res.setHeader('allow', lookup.allowed.join(', '));
        throw new ApiError('method_not_allowed', `${method} is not allowed here; use ${lookup.allowed.join(', ')}`);
      }
      const { handler, params } = lookup.match;
      const principal = this.deps.authenticator.authenticate(req.headers.authorization);
      if (handler.auth && !principal) throw new ApiError('unauthorized', 'missing or invalid API key (Authorization: Bearer <key>)');
      const body = await this.readBody(req, handler.body);
      reply = await handler.run({ principal: handler.auth ? (principal as Principal) : null, params, query: target.query, body });
    } catch (err) {
      const mapped = toErrorResponse(err);
      if (mapped.logDetail) this.deps.logger.error('admin request failed', { route: template, method, err, cause: (err as Error).cause });
      if (mapped.status === 413 || mapped.status === 414) res.setHeader('connection', 'close');
      if (mapped.status === 401) res.setHeader('www-authenticate', 'Bearer');
      for (const [name, value] of Object.entries(mapped.headers ?? {})) res.setHeader(name, value);
      reply = { status: mapped.status, json: mapped.body };
    }
    if ('stream' in reply) {
      this.deps.metrics.observe(template, method, reply.status, (performance.now() - started) / 1000);
      // HEAD of a feed: its headers, without opening the stream.
      await this.stream(res, method === 'HEAD' ? async () => undefined : reply.stream);
      return;
    }
    this.send(res, reply);
    this.deps.metrics.observe(template, method, reply.status, (performance.now() - started) / 1000);
  }

  /** Only reached if sending the reply itself failed: answer 500 if still possible, never let it escape. */
  private lastResort(err: unknown, res: ServerResponse): void {
    this.deps.logger.error('admin request crashed', { err });
    try {
      if (res.headersSent) throw err;
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', connection: 'close' })
        .end(JSON.stringify(toErrorResponse(err).body));
    } catch {
      res.destroy();
    }
  }

  /** node:http could not parse the request: the usual JSON error, then close (the stream cannot be trusted). */
  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    this.deps.metrics.observe('unparsed', 'unknown', err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, 0);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err.code));
  }

  private async readBody(req: IncomingMessage, mode: Route['body']): Promise<unknown> {
    if (mode === 'none') return undefined;
    const read = await readRequestBody(req, this.deps.bodyLimitBytes);
    if (read.kind === 'too_large') throw new ApiError('payload_too_large', `request body exceeds ${read.limitBytes} bytes`, '(body)');
    if (read.kind === 'aborted') throw new ApiError('invalid_request', 'request body was not received completely', '(body)');
    if (read.bytes.length === 0 && (mode === 'empty' || mode === 'optional')) return undefined;
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new ApiError('unsupported_media_type', 'send the body as application/json', '(body)');
    // The parser's message quotes the body: never echo it.
    const json = parseStrictJson(read.bytes.toString('utf8'), maxJsonDepth);
    if (json.kind === 'invalid') throw new ApiError('invalid_json', jsonProblem[json.reason], '(body)');
    const parsed = json.value;
    if (mode === 'empty' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length > 0)) {
      const first = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed)[0] : undefined;
      throw new ApiError('validation_failed', first ? 'unknown field' : 'this action takes no body, or {}', first ?? '(body)');
    }
    return parsed;
  }

  /** Server-Sent Events until the producer returns, the client leaves or the server closes; at most `maxStreams` at once. */
  private async stream(res: ServerResponse, run: (sink: StreamSink) => Promise<void>): Promise<void> {
    if (this.streams.size >= maxStreams || this.closing !== undefined) {
      this.send(res, { status: 503, json: { code: 'unavailable', message: 'too many open feeds on this instance; retry shortly', field: null } });
      return;
    }
    const stop = new AbortController();
    this.streams.add(stop);
    res.on('close', () => stop.abort());
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    try {
      await run({ write: (text) => void (res.writableEnded || res.write(text)), signal: stop.signal });
    } finally {
      this.streams.delete(stop);
      res.end();
    }
  }

  /**
   * Content-Length is set, so a HEAD answer carries the same headers as the GET;
   * node:http itself drops the body of a HEAD answer.
   */
  private send(res: ServerResponse, reply: Exclude<Reply, { stream: unknown }>): void {
    res.setHeader('cache-control', 'no-store');
    let body: Buffer | string = '';
    if ('raw' in reply) {
      for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
      if (reply.contentType !== null) res.setHeader('content-type', reply.contentType);
      body = reply.raw;
    } else if ('json' in reply) {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      body = JSON.stringify(reply.json);
    } else if ('text' in reply) {
      res.setHeader('content-type', reply.contentType);
      body = reply.text;
    }
    // A 204 has no Content-Length (RFC 9110 §8.6).
    if (reply.status !== 204) res.setHeader('content-length', Buffer.byteLength(body));
    res.writeHead(reply.status).end(body);
  }
}

const jsonProblem = {
  syntax: 'the body is not valid JSON',
  duplicate_key: 'the body names the same key twice in one object',
  too_deep: `the body nests objects or arrays deeper than ${maxJsonDepth} levels`,
} as const;
