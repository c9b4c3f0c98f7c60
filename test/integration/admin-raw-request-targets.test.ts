import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { AdminApiHarness, accountKeys } from '../helpers/admin-api-harness.js';
import { rawRequest } from '../helpers/raw-http.js';

const auth = `authorization: Bearer ${accountKeys.acc_alpha}\r\n`;
const get = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\nhost: admin\r\n${auth}${extra}connection: close\r\n\r\n`;

/** Request lines and heads no client library would send; each must get an answer, never a crash or a hang. */
const cases: [string, string | Buffer][] = [
  ['scheme-relative target with a bad host //[', get('//[')],
  ['//[ on an API path', get('//[/v1/subscriptions')],
  ['a bare %', get('%')],
  ['a bad percent escape /%zz', get('/%zz')],
  ['a bad escape in the id', get('/v1/subscriptions/%zz')],
  ['an encoded NUL in the id', get('/v1/subscriptions/%00')],
  ['an encoded lone surrogate in the id', get('/v1/subscriptions/%ED%A0%80')],
  ['an encoded NUL in the query', get('/v1/subscriptions?limit=%00')],
  ['a bad escape in the query', get('/v1/subscriptions?%=%zz')],
  ['absolute form', get('http://evil.example/v1/subscriptions')],
  ['absolute form with a bad host', get('http://[/v1/subscriptions')],
  ['asterisk form', 'OPTIONS * HTTP/1.1\r\nhost: admin\r\nconnection: close\r\n\r\n'],
  ['authority form', 'CONNECT admin:443 HTTP/1.1\r\nhost: admin\r\nconnection: close\r\n\r\n'],
  ['a target of 9,000 characters', get(`/v1/subscriptions/${'a'.repeat(9_000)}`)],
  ['a target of 40,000 characters', get(`/${'a'.repeat(40_000)}`)],
  ['a raw NUL in the target', get('/v1/\0subscriptions')],
  ['a raw control character in the target', get('/v1/\x01')],
  ['raw UTF-8 in the target', Buffer.from(get('/v1/subscriptions/sub_ü'), 'utf8')],
  ['a raw NUL in a header value', get('/healthz', 'x-test: a\0b\r\n')],
  ['a header without a colon', get('/healthz', 'no colon here\r\n')],
  ['an upgrade request', get('/v1/nope', 'upgrade: websocket\r\nconnection: upgrade\r\n')],
  ['an unknown method', 'BREW /v1/subscriptions HTTP/1.1\r\nhost: admin\r\nconnection: close\r\n\r\n'],
  ['an unknown HTTP version', 'GET /healthz HTTP/9.9\r\nhost: admin\r\nconnection: close\r\n\r\n'],
  ['a TLS hello', Buffer.from('16030100a5010000a10303000102030405060708090a0b0c0d0e0f', 'hex')],
  ['an empty request line', '\r\n\r\n\r\nconnection: close\r\n\r\n'],
  ['a bad content length', `POST /v1/subscriptions HTTP/1.1\r\nhost: admin\r\n${auth}content-length: abc\r\nconnection: close\r\n\r\n`],
  ['two content lengths', `POST /v1/subscriptions HTTP/1.1\r\nhost: admin\r\n${auth}content-length: 2\r\ncontent-length: 3\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{}`],
  ['a bad chunk size', `POST /v1/subscriptions HTTP/1.1\r\nhost: admin\r\n${auth}transfer-encoding: chunked\r\ncontent-type: application/json\r\nconnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
];

let h: AdminApiHarness;
let app: AdminApp;

beforeAll(async () => {
  h = await AdminApiHarness.create({}, { failuresTopic: false });
  app = await h.startInstance();
});

afterAll(async () => {
  await h?.close();
});

describe('raw malformed requests', () => {
  it('each get a 4xx JSON error in the API shape, and the server keeps serving', async () => {
    const failures: string[] = [];
    for (const [name, bytes] of cases) {
      const r = await rawRequest(app.port, bytes);
      let body: unknown = null;
      try {
        body = JSON.parse(r.body);
      } catch {
        body = null;
      }
      const shaped = typeof body === 'object' && body !== null && 'code' in body && 'message' in body && 'field' in body;
      if (r.status === null || r.status < 400 || r.status >= 500 || !shaped || !(r.headers['content-type'] ?? '').startsWith('application/json')) {
        failures.push(`${name}: ${r.status ?? (r.silent ? 'no answer' : 'unparsable answer')} ${r.body.slice(0, 120)}`);
      }
      const health = await h.call(app, 'GET', '/healthz', { key: null });
      if (health.status !== 200) failures.push(`${name}: server stopped answering (${health.status})`);
    }
    expect(failures).toEqual([]);
    expect(h.logLines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('a 9,000-character target is a 414 and a 40,000-character one a 431, both naming no input', async () => {
    const long = await rawRequest(app.port, get(`/v1/subscriptions/${'a'.repeat(9_000)}`));
    expect(long.status).toBe(414);
    expect(JSON.parse(long.body)).toEqual({ code: 'uri_too_long', message: expect.any(String), field: null });
    const huge = await rawRequest(app.port, get(`/${'a'.repeat(40_000)}`));
    expect(huge.status).toBe(431);
    expect(JSON.parse(huge.body)).toMatchObject({ code: 'header_fields_too_large', field: null });
    expect(long.body + huge.body).not.toContain('aaaa');
  });

  it('//[ , absolute form and * are refused as targets, not routed', async () => {
    for (const target of ['%', 'http://evil.example/healthz', '*']) {
      const r = await rawRequest(app.port, get(target));
      expect(r.status, target).toBe(400);
      expect(JSON.parse(r.body), target).toMatchObject({ code: 'invalid_request', field: null });
    }
    const r = await rawRequest(app.port, get('//['));
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ code: 'not_found', message: 'no such route', field: null });
  });
});
