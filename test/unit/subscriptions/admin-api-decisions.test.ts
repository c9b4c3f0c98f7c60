import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../services/admin-api/api-error.js';
import { ApiKeyAuthenticator } from '../../../services/admin-api/authenticate.js';
import { classifyVerification } from '../../../services/admin-api/classify-verification.js';
import { loadConfig } from '../../../services/admin-api/config.js';
import { toErrorResponse } from '../../../services/admin-api/error-response.js';
import type { EndpointOutcome } from '../../../services/admin-api/post-to-endpoint.js';
import { RouteTable } from '../../../services/admin-api/route-table.js';
import { ConfigError, FleethookError, ValidationError } from '../../../services/shared/errors.js';

const hex = 'ab'.repeat(32);
const other = 'cd'.repeat(32);
const response = (status: number, body = '', location: string | null = null): EndpointOutcome => ({ kind: 'response', status, body, truncated: false, location, latencyMs: 5 });

describe('verification classifier', () => {
  const rows: [string, EndpointOutcome, string][] = [
    ['JSON answer', response(200, JSON.stringify({ challengeResponse: hex })), 'verified'],
    ['bare hex answer', response(200, `  ${hex.toUpperCase()}\n`), 'verified'],
    ['204 with answer', response(204, hex), 'verified'],
    ['wrong answer', response(200, JSON.stringify({ challengeResponse: other })), 'wrong_value'],
    ['no answer', response(200, 'ok'), 'wrong_value'],
    ['Smartcar answer', response(200, JSON.stringify({ challenge: hex })), 'verified'],
    ['answer under another key', response(200, JSON.stringify({ answer: hex })), 'wrong_value'],
    ['cut-off body', { kind: 'response', status: 200, body: hex, truncated: true, location: null, latencyMs: 5 }, 'wrong_value'],
    ['301', response(301, '', 'https://x'), 'redirect'],
    ['302', response(302, hex, 'https://x'), 'redirect'],
    ['307', response(307), 'redirect'],
    ['400', response(400, hex), 'status'],
    ['404', response(404), 'status'],
    ['500', response(500), 'status'],
    ['503', response(503), 'status'],
    ['101', response(101), 'status'],
    ['timeout', { kind: 'timeout', latencyMs: 1 }, 'timeout'],
    ['refused', { kind: 'connection_refused', latencyMs: 1 }, 'connection_refused'],
    ['blocked', { kind: 'blocked', message: 'x', latencyMs: 1 }, 'blocked'],
    ['network', { kind: 'network_error', code: 'ECONNRESET', latencyMs: 1 }, 'network_error'],
  ];
  it.each(rows)('%s → %s', (_name, outcome, expected) => {
    const r = classifyVerification(outcome, [other.replace(/./g, '0'), hex]);
    expect(r.kind === 'verified' ? 'verified' : r.reason).toBe(expected);
  });

  it('says why a malformed answer is refused', () => {
    const r = classifyVerification(response(200, JSON.stringify({ challenge: 5 })), [hex]);
    expect(r).toMatchObject({ kind: 'failed', reason: 'wrong_value', message: expect.stringContaining('"challenge" is a number, not a string') });
  });
});

describe('API key authentication', () => {
  const auth = new ApiKeyAuthenticator([{ accountId: 'acc_a', key: 'key-a-0123456789abcdef' }], 'operator-0123456789abcdef');
  it.each([
    ['Bearer key-a-0123456789abcdef', { kind: 'account', accountId: 'acc_a' }],
    ['Bearer operator-0123456789abcdef', { kind: 'operator' }],
    ['Bearer key-a-0123456789abcdeF', null],
    ['bearer key-a-0123456789abcdef', { kind: 'account', accountId: 'acc_a' }],
    ['key-a-0123456789abcdef', null],
    ['Bearer ', null],
    [undefined, null],
  ])('%s → %j', (header, expected) => {
    expect(auth.authenticate(header)).toEqual(expected);
  });
});

describe('route table', () => {
  const t = new RouteTable<string>().add('GET', '/v1/s/:id', 'get').add('POST', '/v1/s/:id/verify', 'verify').add('POST', '/v1/s', 'create');
  it('matches templates, reports 405 with the allowed methods and 404 otherwise', () => {
    expect(t.lookup('GET', '/v1/s/sub_1')).toEqual({ kind: 'found', match: { template: '/v1/s/:id', handler: 'get', params: { id: 'sub_1' } } });
    expect(t.lookup('DELETE', '/v1/s')).toEqual({ kind: 'method_not_allowed', template: '/v1/s', allowed: ['POST'] });
    expect(t.lookup('GET', '/v1/s/')).toEqual({ kind: 'not_found' });
    expect(t.lookup('GET', '/v1/s/a/b')).toEqual({ kind: 'not_found' });
    expect(t.lookup('GET', '/v1/s/%E0%A4%A')).toMatchObject({ kind: 'found', match: { params: { id: '%E0%A4%A' } } });
  });
  it('answers HEAD with the GET route, and lists HEAD beside GET in a 405', () => {
    expect(t.lookup('HEAD', '/v1/s/sub_1')).toEqual({ kind: 'found', match: { template: '/v1/s/:id', handler: 'get', params: { id: 'sub_1' } } });
    expect(t.lookup('HEAD', '/v1/s')).toEqual({ kind: 'method_not_allowed', template: '/v1/s', allowed: ['POST'] });
    expect(t.lookup('DELETE', '/v1/s/sub_1')).toEqual({ kind: 'method_not_allowed', template: '/v1/s/:id', allowed: ['GET', 'HEAD'] });
    const withHead = new RouteTable<string>().add('HEAD', '/x', 'head').add('GET', '/x', 'get');
    expect(withHead.lookup('HEAD', '/x')).toMatchObject({ kind: 'found', match: { handler: 'head' } });
  });
});

describe('error mapping', () => {
  it('maps expected errors to their status and hides everything else', () => {
    expect(toErrorResponse(new ValidationError([{ field: 'url', message: 'bad' }]))).toMatchObject({ status: 400, body: { code: 'validation_failed', field: 'url' } });
    expect(toErrorResponse(new ApiError('not_found', 'gone', 'id'))).toMatchObject({ status: 404, body: { code: 'not_found', field: 'id' } });
    expect(toErrorResponse(new ApiError('payload_too_large', 'big'))).toMatchObject({ status: 413 });
    const hidden = toErrorResponse(new FleethookError('KAFKA_TOPICS_UNAVAILABLE', 'broker 10.0.0.7:9092 refused, password=hunter2'));
    expect(hidden).toEqual({ status: 500, body: { code: 'internal_error', message: 'internal error', field: null }, logDetail: true });
    expect(toErrorResponse(new TypeError('x is undefined')).status).toBe(500);
    expect(toErrorResponse(new FleethookError('COMPACTED_TOPIC_LAGGING', 'slow')).status).toBe(503);
  });
});

describe('admin config', () => {
  const key = `k1:${randomBytes(32).toString('base64')}`;
  it('loads a minimal configuration with defaults', () => {
    const c = loadConfig({ FLEETHOOK_SECRET_KEYS: key, FLEETHOOK_ADMIN_OPERATOR_KEY: 'operator-0123456789abcdef' });
    expect(c).toMatchObject({ port: 8080, allowHttp: false, bodyLimitBytes: 65_536, activeKeyId: 'k1', accountKeys: [] });
  });

  it('reports every problem at once with the variable name', () => {
    try {
      loadConfig({
        FLEETHOOK_SECRET_KEYS: 'k1:c2hvcnQ=', FLEETHOOK_ADMIN_PORT: 'eighty', FLEETHOOK_ADMIN_ACCOUNT_KEYS: 'alpha:short,acc_b:tiny',
        FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '10.0.0.0/99', FLEETHOOK_ADMIN_ALLOW_HTTP: 'maybe',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['FLEETHOOK_SECRET_KEYS', 'FLEETHOOK_ADMIN_PORT', 'FLEETHOOK_ADMIN_ACCOUNT_KEYS', 'FLEETHOOK_ADMIN_ALLOW_ADDRESSES', 'FLEETHOOK_ADMIN_ALLOW_HTTP']) {
        expect(problems).toContain(name);
      }
    }
  });
});
