import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { AdminApiHarness } from '../helpers/admin-api-harness.js';

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly path?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string;
  /** The field path the error must name (a prefix is enough for generated rows). */
  readonly field: string;
  /** Run against the instance with the default address rules (no loopback allow-list). */
  readonly strict?: boolean;
}

const base = { url: 'https://hooks.example.com/in', name: 'malformed', source: { kind: 'gps' } };
const wrongValues: [string, unknown][] = [['a number', 42], ['a boolean', true], ['an array', [1]], ['an object', { a: 1 }], ['a string', 'text']];
const fieldsAndAcceptedTypes: [string, string][] = [
  ['url', 'string'], ['name', 'string'], ['source', 'object'], ['vehicleFilter', 'object'], ['contentType', 'string'],
  ['batching', 'object'], ['auth', 'object'], ['alertEmails', 'array'], ['retryPolicy', 'string'], ['enabled', 'boolean'],
];

function wrongTypeCases(): Case[] {
  return fieldsAndAcceptedTypes.flatMap(([field, accepted]) =>
    wrongValues
      .filter(([, v]) => kindOf(v) !== accepted)
      .map(([what, v]): Case => ({ name: `${field} as ${what}`, body: { ...base, [field]: v }, field })),
  );
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : typeof v;
}

const missing: Case[] = [
  { name: 'no url', body: { name: 'x', source: { kind: 'gps' } }, field: 'url' },
  { name: 'no name', body: { url: base.url, source: { kind: 'gps' } }, field: 'name' },
  { name: 'no source', body: { url: base.url, name: 'x' }, field: 'source' },
  { name: 'empty object', body: {}, field: 'url' },
  { name: 'source without kind', body: { ...base, source: {} }, field: 'source.kind' },
  { name: 'event without eventTypes', body: { ...base, source: { kind: 'event' } }, field: 'source.eventTypes' },
  { name: 'event with empty eventTypes', body: { ...base, source: { kind: 'event', eventTypes: [] } }, field: 'source.eventTypes' },
  { name: 'speeding without threshold', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding' }] } }, field: 'source.eventTypes[0].threshold' },
  { name: 'speeding without units', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 100 }] } }, field: 'source.eventTypes[0].units' },
  { name: 'posted_speeding without X', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', units: 'mph' }] } }, field: 'source.eventTypes[0].threshold' },
  { name: 'event selection without type', body: { ...base, source: { kind: 'event', eventTypes: [{}] } }, field: 'source.eventTypes[0].type' },
  { name: 'scheduled without cadence', body: { ...base, source: { kind: 'scheduled' } }, field: 'source.cadence' },
  { name: 'cadence minutes without minutes', body: { ...base, source: { kind: 'scheduled', cadence: { every: 'minutes' } } }, field: 'source.cadence.minutes' },
  { name: 'basic without password', body: { ...base, auth: { type: 'basic', userName: 'u' } }, field: 'auth.password' },
  { name: 'basic without userName', body: { ...base, auth: { type: 'basic', password: 'p' } }, field: 'auth.userName' },
  { name: 'bearer without token', body: { ...base, auth: { type: 'bearer' } }, field: 'auth.tokenValue' },
  { name: 'apikey without token', body: { ...base, auth: { type: 'apikey' } }, field: 'auth.tokenValue' },
  { name: 'custom without name', body: { ...base, auth: { type: 'custom', tokenValue: 't' } }, field: 'auth.tokenName' },
  { name: 'auth without type', body: { ...base, auth: {} }, field: 'auth.type' },
  { name: 'batching without maxWaitMs', body: { ...base, batching: { maxItems: 5 } }, field: 'batching.maxWaitMs' },
  { name: 'vehicleFilter without ids', body: { ...base, vehicleFilter: {} }, field: 'vehicleFilter.vehicleIds' },
];

const unknownFields: Case[] = [
  { name: 'top-level unknown', body: { ...base, colour: 'red' }, field: 'colour' },
  { name: 'client-set id', body: { ...base, id: 'sub_x' }, field: 'id' },
  { name: 'client-set state', body: { ...base, state: 'active' }, field: 'state' },
  { name: 'client-set signing', body: { ...base, signing: { current: 'whsec_x' } }, field: 'signing' },
  { name: 'client-set accountId', body: { ...base, accountId: 'acc_beta' }, field: 'accountId' },
  { name: 'unknown in source', body: { ...base, source: { kind: 'gps', speed: 1 } }, field: 'source.speed' },
  { name: 'unknown in event selection', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'idle', seconds: 5 }] } }, field: 'source.eventTypes[0].seconds' },
  { name: 'unknown in cadence', body: { ...base, source: { kind: 'scheduled', cadence: { every: 'hour', at: '12:00' } } }, field: 'source.cadence.at' },
  { name: 'unknown in batching', body: { ...base, batching: { maxItems: 5, maxWaitMs: 5, maxBytes: 1 } }, field: 'batching.maxBytes' },
  { name: 'unknown in auth', body: { ...base, auth: { type: 'bearer', tokenValue: 't', scheme: 'x' } }, field: 'auth.scheme' },
  { name: 'unknown in vehicleFilter', body: { ...base, vehicleFilter: { vehicleIds: ['v'], groups: [] } }, field: 'vehicleFilter.groups' },
];

const badUrls: Case[] = [
  'not a url', 'ftp://hooks.example.com/', 'https://', '//hooks.example.com/x', 'javascript:alert(1)', 'file:///etc/passwd',
  'https://user:pass@hooks.example.com/', 'https://hooks.example.com/#frag', `https://hooks.example.com/${'a'.repeat(2_100)}`,
  'http://hooks.example.com/', 'gopher://127.0.0.1:6379/', 'https://exa mple.com/', 'data:text/plain,hello', '',
].map((url) => ({ name: `url ${JSON.stringify(url.slice(0, 40))}`, body: { ...base, url }, field: 'url' }));

const ssrfHosts = [
  '127.0.0.1', '127.0.0.53', '2130706433', '0x7f.1', '0x7f000001', '0177.0.0.1', '127.1', '[::1]', '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:7f00:1]', '[fe80::1]', '[fd00::1]', '[fc00::5]', '[::]', '[ff02::1]',
  '169.254.169.254', '2852039166', '[::ffff:a9fe:a9fe]', '169.254.1.1', '10.0.0.1', '167772161', '172.16.5.4', '172.31.0.1',
  '192.168.0.1', '3232235521', '100.64.0.1', '0.0.0.0', '0', '224.0.0.1', '255.255.255.255', 'localhost', '[64:ff9b::a00:1]',
];
const ssrf: Case[] = ssrfHosts.map((host) => ({ name: `SSRF ${host}`, body: { ...base, url: `https://${host}/hook` }, field: 'url', strict: true }));

const overLimits: Case[] = [
  ...[501, 0, -1, 1_000_000_000, 1.5].map((maxItems) => ({ name: `maxItems ${maxItems}`, body: { ...base, batching: { maxItems, maxWaitMs: 0 } }, field: 'batching.maxItems' })),
  ...[5_001, -1, 60_000, 0.5].map((maxWaitMs) => ({ name: `maxWaitMs ${maxWaitMs}`, body: { ...base, batching: { maxItems: 1, maxWaitMs } }, field: 'batching.maxWaitMs' })),
  { name: 'maxItems as string', body: { ...base, batching: { maxItems: '10', maxWaitMs: 0 } }, field: 'batching.maxItems' },
  { name: 'threshold over 400 km/h (legacy field)', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', thresholdKph: 401 }] } }, field: 'source.eventTypes[0].thresholdKph' },
  { name: 'threshold over 250 mph', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 251, units: 'mph' }] } }, field: 'source.eventTypes[0].threshold' },
  { name: 'negative threshold', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', threshold: -5, units: 'kmh' }] } }, field: 'source.eventTypes[0].threshold' },
  { name: 'speed in knots', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 50, units: 'knots' }] } }, field: 'source.eventTypes[0].units' },
  { name: 'legacy and new threshold together', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 50, units: 'kmh', thresholdKph: 50 }] } }, field: 'source.eventTypes[0].thresholdKph' },
  { name: 'idle for 0 minutes', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'ignition_on' }, { type: 'idle', minutes: 0 }] } }, field: 'source.eventTypes[1].minutes' },
  { name: 'idle minutes as text', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'idle', minutes: '10' }] } }, field: 'source.eventTypes[0].minutes' },
  { name: 'a landmark id of another format', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'landmark_change', landmarkIds: ['lm_1'] }] } }, field: 'source.eventTypes[0].landmarkIds[0]' },
  { name: 'an empty landmark list', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'landmark_enter', landmarkIds: [] }] } }, field: 'source.eventTypes[0].landmarkIds' },
  { name: 'cadence 0 minutes', body: { ...base, source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 0 } } }, field: 'source.cadence.minutes' },
  { name: 'cadence of 60 minutes (hourly is its own cadence)', body: { ...base, source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 60 } } }, field: 'source.cadence.minutes' },
  { name: 'daily at 25:00', body: { ...base, source: { kind: 'scheduled', cadence: { every: 'day', at: '25:00' } } }, field: 'source.cadence.at' },
  { name: 'monthly on the 31st', body: { ...base, source: { kind: 'scheduled', cadence: { every: 'month', day: 31 } } }, field: 'source.cadence.day' },
  { name: 'name too long', body: { ...base, name: 'n'.repeat(201) }, field: 'name' },
  { name: 'too many alert e-mails', body: { ...base, alertEmails: Array.from({ length: 21 }, (_, i) => `a${i}@example.com`) }, field: 'alertEmails' },
  { name: 'bad alert e-mail', body: { ...base, alertEmails: ['ops@example.com', 'nope'] }, field: 'alertEmails[1]' },
  { name: 'duplicate vehicle ids', body: { ...base, vehicleFilter: { vehicleIds: ['v1', 'v1'] } }, field: 'vehicleFilter.vehicleIds' },
  { name: 'unknown event type', body: { ...base, source: { kind: 'event', eventTypes: [{ type: 'teleport' }] } }, field: 'source.eventTypes[0].type' },
  { name: 'unknown content type', body: { ...base, contentType: 'application/xml' }, field: 'contentType' },
  { name: 'unknown retry policy', body: { ...base, retryPolicy: 'forever' }, field: 'retryPolicy' },
  { name: 'header injection in token', body: { ...base, auth: { type: 'bearer', tokenValue: 'a\r\nx-evil: 1' } }, field: 'auth.tokenValue' },
  { name: 'reserved custom header', body: { ...base, auth: { type: 'custom', tokenName: 'Content-Type', tokenValue: 't' } }, field: 'auth.tokenName' },
  { name: 'bearer plus fixed Authorization', body: { ...base, auth: { type: 'bearer', tokenValue: 't', authorization: 'x' } }, field: 'auth.authorization' },
];

const transport: Case[] = [
  { name: 'truncated JSON', rawBody: '{"url": "https://x', field: '(body)' },
  { name: 'not JSON at all', rawBody: 'url=https://x', field: '(body)' },
  { name: 'trailing comma', rawBody: '{"name": "x",}', field: '(body)' },
  { name: 'empty body', rawBody: '', field: '(body)' },
  { name: 'JSON array body', body: [base], field: '(body)' },
  { name: 'JSON string body', body: 'hello', field: '(body)' },
  { name: 'JSON null body', rawBody: 'null', field: '(body)' },
  { name: 'form content type', rawBody: JSON.stringify(base), contentType: 'application/x-www-form-urlencoded', field: '(body)' },
  { name: 'huge body (70 KiB)', rawBody: JSON.stringify({ ...base, name: 'x'.repeat(70_000) }), field: '(body)' },
  { name: 'huge body (1 MiB)', rawBody: 'x'.repeat(1_048_576), field: '(body)' },
  { name: 'huge body of valid-looking JSON array', rawBody: `[${'1,'.repeat(40_000)}1]`, field: '(body)' },
];

const otherRoutes: Case[] = [
  { name: 'list with limit 0', method: 'GET', path: '/v1/subscriptions?limit=0', field: 'query.limit' },
  { name: 'list with limit 1000', method: 'GET', path: '/v1/subscriptions?limit=1000', field: 'query.limit' },
  { name: 'list with limit abc', method: 'GET', path: '/v1/subscriptions?limit=abc', field: 'query.limit' },
  { name: 'list with bad cursor', method: 'GET', path: '/v1/subscriptions?cursor=zzz', field: 'query.cursor' },
  { name: 'list with unknown parameter', method: 'GET', path: '/v1/subscriptions?sort=name', field: 'query.sort' },
  { name: 'account filtering by account', method: 'GET', path: '/v1/subscriptions?accountId=acc_beta', field: 'query.accountId' },
  { name: 'unknown subscription id', method: 'GET', path: '/v1/subscriptions/sub_doesnotexist', field: 'id' },
  { name: 'unknown route', method: 'GET', path: '/v1/nope', field: '' },
  { name: 'wrong method', method: 'PUT', path: '/v1/subscriptions', field: '' },
];

function patchCases(id: () => string): Case[] {
  const p = (name: string, body: unknown, field: string): Case => ({ name: `PATCH ${name}`, method: 'PATCH', path: `/v1/subscriptions/${id()}`, body, field });
  return [
    p('empty patch', {}, '(body)'),
    p('unknown field', { colour: 'red' }, 'colour'),
    p('state', { state: 'active' }, 'state'),
    p('batching over limit', { batching: { maxItems: 501, maxWaitMs: 1 } }, 'batching.maxItems'),
    p('http url', { url: 'http://hooks.example.com/' }, 'url'),
    p('name number', { name: 5 }, 'name'),
    p('masked secret', { auth: { type: 'bearer', tokenValue: '********' } }, 'auth.tokenValue'),
    { name: 'verify with a body field', method: 'POST', path: `/v1/subscriptions/${id()}/verify`, body: { challenge: 'mine' }, field: 'challenge' },
    { name: 'pause with a JSON array', method: 'POST', path: `/v1/subscriptions/${id()}/pause`, body: [], field: '(body)' },
    { name: 'reactivate with a body field', method: 'POST', path: `/v1/subscriptions/${id()}/reactivate`, body: { state: 'active' }, field: 'state' },
    { name: 'reactivate with a JSON array', method: 'POST', path: `/v1/subscriptions/${id()}/reactivate`, body: [], field: '(body)' },
    { name: 'reactivate with GET', method: 'GET', path: `/v1/subscriptions/${id()}/reactivate`, field: '' },
  ];
}

let h: AdminApiHarness;
let app: AdminApp;
let strict: AdminApp;
let existingId = '';

beforeAll(async () => {
  h = await AdminApiHarness.create();
  app = await h.startInstance({ FLEETHOOK_ADMIN_ALLOW_HTTP: 'false', FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '' });
  strict = await h.startInstance({ FLEETHOOK_ADMIN_ALLOW_HTTP: 'true', FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '' });
});

afterAll(async () => {
  await h?.close();
});

describe('malformed requests', () => {
  it('are all refused with a 4xx naming the field, never a 5xx, and write nothing', async () => {
    // hooks.example.com must resolve for the one valid subscription; use an allow-listed name instead of DNS.
    const withHost = await h.startInstance({ FLEETHOOK_ADMIN_ALLOW_ADDRESSES: 'hooks.example.com' });
    const created = await h.call(withHost, 'POST', '/v1/subscriptions', { body: base });
    expect(created.status).toBe(201);
    existingId = (created.json as { subscription: { id: string } }).subscription.id;
    await h.stopInstance(withHost);
    const before = await h.topicMessageCount();

    const cases = [...wrongTypeCases(), ...missing, ...unknownFields, ...badUrls, ...ssrf, ...overLimits, ...transport, ...otherRoutes, ...patchCases(() => existingId)];
    expect(cases.length).toBeGreaterThanOrEqual(100);
    const failures: string[] = [];
    for (const c of cases) {
      const target = c.strict === true ? strict : app;
      const headers: Record<string, string> = c.contentType === undefined ? {} : { 'content-type': c.contentType };
      const r = await h.call(target, c.method ?? 'POST', c.path ?? '/v1/subscriptions', {
        ...(c.body === undefined ? {} : { body: c.body }), ...(c.rawBody === undefined ? {} : { rawBody: c.rawBody }), headers,
      });
      const body = r.json as { code?: unknown; message?: unknown; field?: unknown; issues?: { field: string }[] } | undefined;
      const fields = [body?.field, ...(body?.issues ?? []).map((i) => i.field)];
      const namesField = c.field === '' ? typeof body?.field === 'string' || body?.field === null : fields.some((f) => typeof f === 'string' && f.startsWith(c.field));
      const shaped = typeof body?.code === 'string' && typeof body.message === 'string';
      if (r.status < 400 || r.status >= 500 || !namesField || !shaped) failures.push(`${c.name}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(await h.topicMessageCount()).toBe(before);
    const count = await h.call(app, 'GET', '/v1/subscriptions');
    expect((count.json as { data: unknown[] }).data).toHaveLength(1);
  });
});
