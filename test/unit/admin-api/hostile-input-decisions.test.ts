import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientErrorResponse } from '../../../services/admin-api/client-error-reply.js';
import { adminDefaults, loadConfig } from '../../../services/admin-api/config.js';
import { maxIssuesShown, toErrorResponse } from '../../../services/admin-api/error-response.js';
import { ConfigError, ValidationError } from '../../../services/shared/errors.js';
import { parseStrictJson } from '../../../services/shared/http/parse-strict-json.js';
import { parseRequestTarget } from '../../../services/shared/http/request-target.js';
import { AllowedPorts } from '../../../services/shared/subscriptions/allowed-ports.js';
import { checkUrlPolicy, checkWebhookUrl } from '../../../services/shared/subscriptions/check-webhook-url.js';
import { joinUrlSecrets, splitUrlSecrets } from '../../../services/shared/subscriptions/url-query-secrets.js';

describe('parseRequestTarget', () => {
  it.each([
    ['/v1/subscriptions?limit=5', { kind: 'ok', path: '/v1/subscriptions' }],
    ['//[', { kind: 'ok', path: '//[' }],
    ['/%zz', { kind: 'ok', path: '/%zz' }],
    ['/a/../b', { kind: 'ok', path: '/b' }],
    ['%', { kind: 'invalid', reason: 'not_origin_form' }],
    ['*', { kind: 'invalid', reason: 'not_origin_form' }],
    ['http://evil.example/x', { kind: 'invalid', reason: 'not_origin_form' }],
    ['', { kind: 'invalid', reason: 'not_origin_form' }],
    [undefined, { kind: 'invalid', reason: 'not_origin_form' }],
    [`/${'a'.repeat(100)}`, { kind: 'invalid', reason: 'too_long' }],
  ])('%j → %j', (raw, expected) => {
    expect(parseRequestTarget(raw, 64)).toMatchObject(expected);
  });

  it('keeps the query, bad escapes included', () => {
    const t = parseRequestTarget('/x?%=%zz&limit=2', 64);
    expect(t.kind === 'ok' && [...t.query.entries()]).toEqual([['%', '%zz'], ['limit', '2']]);
  });
});

describe('parseStrictJson', () => {
  it.each([
    ['{"a":1,"b":{"a":2},"c":[{"a":1},{"a":1}]}', 'ok'],
    ['{"a":"}","b":"{\\"a\\":1,\\"a\\":2}"}', 'ok'],
    ['{"a":1,"a":2}', 'duplicate_key'],
    ['{"a":{"b":1,"c":{"d":1,"d":1}}}', 'duplicate_key'],
    ['{"a":1,"\\u0061":2}', 'duplicate_key'],
    ['[{"x":1},{"x":1,"y":{},"x":2}]', 'duplicate_key'],
    ['{"a\\"b":1,"a\\"b":2}', 'duplicate_key'],
    ['{"a":1,}', 'syntax'],
    ['', 'syntax'],
    [`${'['.repeat(33)}${']'.repeat(33)}`, 'too_deep'],
    [`${'['.repeat(32)}${']'.repeat(32)}`, 'ok'],
  ])('%s → %s', (text, expected) => {
    const r = parseStrictJson(text, 32);
    expect(r.kind === 'ok' ? 'ok' : r.reason).toBe(expected);
  });

  it('returns what JSON.parse returns', () => {
    expect(parseStrictJson('{"a":[1,"x",null]}', 8)).toEqual({ kind: 'ok', value: { a: [1, 'x', null] } });
  });
});

describe('secret query values', () => {
  it.each([
    ['https://h.example/p?token=abc&x=1&api_key=k%20y', 'https://h.example/p?token=********&x=1&api_key=********', ['abc', 'k%20y']],
    ['https://h.example/p?sig=a&sig=b', 'https://h.example/p?sig=********&sig=********', ['a', 'b']],
    ['https://h.example/p?x=1&token=&code', 'https://h.example/p?x=1&token=&code', []],
    ['https://h.example/p', 'https://h.example/p', []],
    ['https://h.example/p?%74oken=zz', 'https://h.example/p?%74oken=********', ['zz']],
  ])('%s is stored as %s and joins back exactly', (url, masked, secrets) => {
    const split = splitUrlSecrets(url);
    expect(split).toEqual({ url: masked, secrets });
    expect(joinUrlSecrets(split.url, split.secrets)).toBe(url);
  });
});

describe('endpoint URL rules', () => {
  const ports = AllowedPorts.parse(adminDefaults.allowedPorts).ports;
  it.each([
    ['https://hooks.example.com/in', 'allowed'],
    ['https://hooks.example.com:8443/in', 'allowed'],
    ['http://hooks.example.com:8080/', 'allowed'],
    ['https://hooks.example.com:22/', 'refused'],
    ['https://hooks.example.com:0/', 'refused'],
    ['https://hooks.example.com:6379/', 'refused'],
    ['https://hooks.example.com:99999/', 'refused'],
    ['https://999.1.1.1/', 'refused'],
  ])('%s is %s by the default policy', (url, expected) => {
    expect(checkWebhookUrl(url).kind).toBe('ok');
    expect(checkUrlPolicy(url, { allowHttp: true, allowedPorts: ports }).kind).toBe(expected);
  });

  it('refuses plain http unless the operator allows it', () => {
    expect(checkUrlPolicy('http://hooks.example.com/', { allowHttp: false, allowedPorts: ports })).toMatchObject({ kind: 'refused', message: expect.stringContaining('https') });
  });

  it.each([
    'https://hooks.example.com/#', 'https://hooks.example.com/x#y', 'https://hooks.example.com/\u0000', 'https://hooks.example.com/\t',
    'https:hooks.example.com', 'HTTPS://hooks.example.com/', 'https://[::1]/', 'https://hooks.example.com./', 'https://hooks.example.com/ü',
    'https://hooks.example.com/?token=********',
  ])('refuses %j as syntax', (url) => {
    expect(checkWebhookUrl(url).kind).toBe('invalid');
  });

  it('parses port lists and ranges, and reports bad entries', () => {
    const ok = AllowedPorts.parse(['443', '8000-8999']);
    expect(ok.problems).toEqual([]);
    expect([443, 8000, 8999, 9000, 0].map((p) => ok.ports.allows(p))).toEqual([true, true, true, false, false]);
    expect(AllowedPorts.parse(['0', '70000', '9-1', 'x', '']).problems).toHaveLength(5);
  });
});

describe('error bodies', () => {
  it('carry the first issues and a count, cut long field names, and a bounded message', () => {
    const issues = Array.from({ length: 5_000 }, (_, i) => ({ field: `f${i}${'x'.repeat(i === 0 ? 1_000 : 0)}`, message: 'unknown field' }));
    const r = toErrorResponse(new ValidationError(issues));
    expect(r.status).toBe(400);
    expect(r.body.issues).toHaveLength(maxIssuesShown);
    expect(r.body.issueCount).toBe(5_000);
    expect(r.body.field?.length).toBe(200);
    expect(r.body.message).toContain('(and 4997 more)');
    expect(JSON.stringify(r.body).length).toBeLessThan(3_000);
  });
});

describe('clientErrorResponse', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'header_fields_too_large'],
    ['HPE_INVALID_METHOD', 400, 'invalid_request'],
    [undefined, 400, 'invalid_request'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request_timeout'],
    ['CONNECT', 405, 'method_not_allowed'],
  ])('%s → %i %s as a complete JSON response that closes', (code, status, apiCode) => {
    const raw = clientErrorResponse(code);
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head).toContain('connection: close');
    expect(head).toContain(`content-length: ${Buffer.byteLength(body ?? '')}`);
    expect(JSON.parse(body ?? '')).toEqual({ code: apiCode, message: expect.any(String), field: null });
  });
});

describe('admin config limits', () => {
  const base = { FLEETHOOK_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`, FLEETHOOK_ADMIN_OPERATOR_KEY: 'operator-0123456789abcdef' };
  it('defaults to 100 subscriptions per account, ports 443, 80, 8443, 8080 and 1,000 connections', () => {
    const c = loadConfig(base);
    expect(c.maxSubscriptionsPerAccount).toBe(100);
    expect(c.maxConnections).toBe(1_000);
    expect(c.allowedPorts.describe()).toBe('443, 80, 8443, 8080');
  });

  it('lets the operator change them, and names each bad variable', () => {
    const c = loadConfig({ ...base, FLEETHOOK_ADMIN_ALLOWED_PORTS: '443,1024-65535', FLEETHOOK_ADMIN_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '5' });
    expect([c.allowedPorts.allows(50_000), c.allowedPorts.allows(22), c.maxSubscriptionsPerAccount]).toEqual([true, false, 5]);
    expect(() => loadConfig({ ...base, FLEETHOOK_ADMIN_ALLOWED_PORTS: '0', FLEETHOOK_ADMIN_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '0', FLEETHOOK_ADMIN_MAX_CONNECTIONS: 'x' })).toThrow(ConfigError);
    try {
      loadConfig({ ...base, FLEETHOOK_ADMIN_ALLOWED_PORTS: '0', FLEETHOOK_ADMIN_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '0', FLEETHOOK_ADMIN_MAX_CONNECTIONS: 'x' });
    } catch (err) {
      const text = (err as ConfigError).problems.join('\n');
      for (const name of ['ALLOWED_PORTS', 'MAX_SUBSCRIPTIONS_PER_ACCOUNT', 'MAX_CONNECTIONS']) expect(text).toContain(`FLEETHOOK_ADMIN_${name}`);
    }
  });
});
