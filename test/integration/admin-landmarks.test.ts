import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { AdminApiHarness, accountKeys, operatorKey } from '../helpers/admin-api-harness.js';
import type { ApiReply } from '../helpers/admin-api-harness.js';

const docId = 'https://fleethook.invalid/openapi.json';
type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
let h: AdminApiHarness;
let app: AdminApp;
let doc: Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(formatsPlugin as unknown as { default: (a: Ajv2020) => void }).default(ajv);

const circle = { type: 'circle', center: { lat: 52.52, lon: 13.405 }, radiusM: 250 };
const square = { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13.1, 52.1], [13, 52.1], [13, 52]]] };

beforeAll(async () => {
  // The beta account may hold 3 landmarks, so the limit is reached in a few calls.
  h = await AdminApiHarness.create({ FLEETHOOK_ADMIN_MAX_LANDMARKS_PER_ACCOUNT: '3' });
  app = await h.startInstance();
  doc = (await h.call(app, 'GET', '/v1/openapi.json', { key: null })).json as Doc;
  ajv.addSchema({ $id: docId, ...(doc as object) });
});

afterAll(async () => {
  await h?.close();
});

/** Calls the API and validates the reply against the document's schema for that path, method and status. */
async function call(method: string, target: string, id: string, options: Parameters<AdminApiHarness['call']>[3] = {}): Promise<ApiReply> {
  const template = target.split('?')[0] ?? target;
  const reply = await h.call(app, method, target.replace('{id}', id), options);
  const response = doc.paths[template]?.[method.toLowerCase()]?.responses[String(reply.status)];
  expect(response, `${method} ${template} documents status ${reply.status}: ${reply.text.slice(0, 300)}`).toBeDefined();
  const schema = response?.content?.['application/json']?.schema;
  if (schema !== undefined) {
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${docId}#/components/`)) as object);
    expect(validate(reply.json), `${method} ${template} ${reply.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }
  return reply;
}

describe('landmarks in the admin API', () => {
  it('create, read, list by pages, patch and delete, every reply as documented', async () => {
    const created = await call('POST', '/v1/landmarks', '', { body: { name: 'Depot', shape: circle } });
    expect(created.status).toBe(201);
    const depot = created.json as { id: string };
    expect(created.json).toMatchObject({ accountId: 'acc_alpha', name: 'Depot', shape: circle, revision: 1 });
    const area = (await call('POST', '/v1/landmarks', '', { body: { name: 'Area', shape: square, accountId: 'acc_alpha' } })).json as { id: string };
    expect((await call('GET', '/v1/landmarks/{id}', depot.id)).json).toEqual(created.json);

    const page1 = await call('GET', '/v1/landmarks?limit=1', '');
    expect(page1.json).toEqual({ data: [created.json], nextCursor: depot.id });
    const page2 = await call('GET', `/v1/landmarks?limit=1&cursor=${depot.id}`, '');
    expect(page2.json).toMatchObject({ data: [{ id: area.id }], nextCursor: null });

    const moved = await call('PATCH', '/v1/landmarks/{id}', depot.id, { body: { shape: { ...circle, radiusM: 400 } } });
    expect(moved.json).toMatchObject({ name: 'Depot', shape: { radiusM: 400 }, revision: 2 });
    expect((await call('PATCH', '/v1/landmarks/{id}', depot.id, { body: { name: 'Main depot' } })).json).toMatchObject({ name: 'Main depot', shape: { radiusM: 400 }, revision: 3 });

    expect((await call('DELETE', '/v1/landmarks/{id}', depot.id)).status).toBe(204);
    expect((await call('GET', '/v1/landmarks/{id}', depot.id)).status).toBe(404);
    expect((await call('DELETE', '/v1/landmarks/{id}', depot.id)).status).toBe(404);
    expect((await call('DELETE', '/v1/landmarks/{id}', area.id)).status).toBe(204);
  });

  it('an account sees only its own landmarks; the operator names the account', async () => {
    const theirs = (await call('POST', '/v1/landmarks', '', { body: { name: 'Beta yard', shape: square }, key: accountKeys.acc_beta })).json as { id: string };
    expect((await call('GET', '/v1/landmarks/{id}', theirs.id)).status).toBe(404);
    expect((await call('PATCH', '/v1/landmarks/{id}', theirs.id, { body: { name: 'mine now' } })).status).toBe(404);
    expect((await call('DELETE', '/v1/landmarks/{id}', theirs.id)).status).toBe(404);
    expect(((await call('GET', '/v1/landmarks', '')).json as { data: unknown[] }).data).toEqual([]);
    expect((await call('GET', '/v1/landmarks?accountId=acc_beta', '')).status).toBe(403);
    expect((await call('POST', '/v1/landmarks', '', { body: { name: 'x', shape: circle, accountId: 'acc_beta' } })).status).toBe(403);

    expect((await call('GET', '/v1/landmarks?accountId=acc_beta', '', { key: operatorKey })).json).toMatchObject({ data: [{ id: theirs.id, accountId: 'acc_beta' }] });
    const unnamed = await call('POST', '/v1/landmarks', '', { body: { name: 'x', shape: circle }, key: operatorKey });
    expect(unnamed.json).toMatchObject({ code: 'validation_failed', field: 'accountId' });
    expect((await call('GET', '/v1/landmarks/{id}', theirs.id, { key: operatorKey })).status).toBe(200);
    expect((await call('GET', '/v1/landmarks', '', { key: null })).status).toBe(401);
  });

  it.each<[string, unknown, number, string, string]>([
    ['a latitude out of range', { name: 'x', shape: { ...circle, center: { lat: 95, lon: 13 } } }, 400, 'validation_failed', 'shape.center.lat'],
    ['a polygon position out of range', { name: 'x', shape: { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13.1, 91], [13, 52]]] } }, 400, 'validation_failed', 'shape.coordinates[0][2][1]'],
    ['too few points', { name: 'x', shape: { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13, 52]]] } }, 400, 'validation_failed', 'shape.coordinates[0]'],
    ['no shape', { name: 'x' }, 400, 'validation_failed', 'shape'],
    ['an unknown shape field', { name: 'x', shape: { ...circle, colour: 'red' } }, 400, 'validation_failed', 'shape.colour'],
    ['a name with a control character', { name: 'a\u0007b', shape: circle }, 400, 'validation_failed', 'name'],
    ['a self-intersecting polygon', { name: 'x', shape: { type: 'polygon', coordinates: [[[13, 52], [13.1, 52.1], [13.1, 52], [13, 52.1], [13, 52]]] } }, 422, 'invalid_shape', 'shape.coordinates'],
    ['a ring that is not closed', { name: 'x', shape: { type: 'polygon', coordinates: [[[13, 52], [13.1, 52], [13.1, 52.1], [13, 52.1]]] } }, 422, 'invalid_shape', 'shape.coordinates[0]'],
  ])('refuses %s, naming the field', async (_name, body, status, code, field) => {
    const reply = await call('POST', '/v1/landmarks', '', { body });
    expect(reply.status).toBe(status);
    expect(reply.json).toMatchObject({ code, field });
  });

  it('a patch is checked like a create; nothing is written when it is refused', async () => {
    const lm = (await call('POST', '/v1/landmarks', '', { body: { name: 'Depot', shape: square } })).json as { id: string; revision: number };
    const bowTie = { type: 'polygon', coordinates: [[[13, 52], [13.1, 52.1], [13.1, 52], [13, 52.1], [13, 52]]] };
    expect((await call('PATCH', '/v1/landmarks/{id}', lm.id, { body: { shape: bowTie } })).json).toMatchObject({ code: 'invalid_shape', issues: [{ field: 'shape.coordinates' }] });
    expect((await call('PATCH', '/v1/landmarks/{id}', lm.id, { body: {} })).status).toBe(400);
    expect((await call('PATCH', '/v1/landmarks/{id}', lm.id, { body: { shape: null } })).json).toMatchObject({ code: 'validation_failed', field: 'shape' });
    expect((await call('PATCH', '/v1/landmarks/{id}', lm.id, { body: { name: null } })).json).toMatchObject({ code: 'validation_failed', field: 'name' });
    expect((await call('PATCH', '/v1/landmarks/{id}', lm.id, { body: { accountId: 'acc_beta' } })).status).toBe(400);
    expect((await call('GET', '/v1/landmarks/{id}', lm.id)).json).toMatchObject({ shape: square, revision: 1 });
    expect((await call('GET', '/v1/landmarks/{id}', 'lm_nonsense')).status).toBe(404);
    expect((await call('GET', '/v1/landmarks?cursor=sub_x', '')).json).toMatchObject({ field: 'query.cursor' });
  });

  it('an account holds at most the configured number of landmarks', async () => {
    const held = ((await call('GET', '/v1/landmarks', '', { key: accountKeys.acc_beta })).json as { data: unknown[] }).data.length;
    for (let i = held; i < 3; i++) expect((await call('POST', '/v1/landmarks', '', { body: { name: `b${i}`, shape: circle }, key: accountKeys.acc_beta })).status).toBe(201);
    const refused = await call('POST', '/v1/landmarks', '', { body: { name: 'one too many', shape: circle }, key: accountKeys.acc_beta });
    expect(refused.json).toMatchObject({ code: 'landmark_limit_reached', field: 'accountId' });
    expect(app.landmarks.count('acc_beta')).toBe(3);
  });

  it('landmark events of a subscription may name only its account\'s landmarks: an unknown or another account\'s id is a 422 unknown_landmark naming the field and the id', async () => {
    const own = (await call('POST', '/v1/landmarks', '', { body: { name: 'Gate', shape: circle } })).json as { id: string };
    const beta = ((await call('GET', '/v1/landmarks?accountId=acc_beta', '', { key: operatorKey })).json as { data: { id: string }[] }).data[0]!;
    const sub = (landmarkIds: string[]): Record<string, unknown> => ({
      url: 'http://127.0.0.1:9/hook', name: 'gate', source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 90, units: 'kmh' }, { type: 'landmark_enter', landmarkIds }] },
    });
    for (const [ids, bad] of [[[own.id, beta.id], 1], [['lm_0000000000000000000000000'], 0]] as const) {
      const refused = await call('POST', '/v1/subscriptions', '', { body: sub([...ids]) });
      expect(refused.status).toBe(422);
      expect(refused.json).toMatchObject({ code: 'unknown_landmark', field: `source.eventTypes[1].landmarkIds[${bad}]` });
      expect((refused.json as { message: string }).message).toContain(ids[bad]);
    }
    // Another account's landmark is refused alike when the operator creates the subscription for acc_alpha.
    expect((await call('POST', '/v1/subscriptions', '', { body: { ...sub([beta.id]), accountId: 'acc_alpha' }, key: operatorKey })).status).toBe(422);
    const created = await call('POST', '/v1/subscriptions', '', { body: sub([own.id]) });
    expect(created.status).toBe(201);
    const id = (created.json as { subscription: { id: string } }).subscription.id;
    // A patch is checked the same way, and nothing is written when it is refused.
    const patched = await call('PATCH', '/v1/subscriptions/{id}', id, { body: { source: { kind: 'event', eventTypes: [{ type: 'landmark_leave', landmarkIds: [beta.id] }] } } });
    expect(patched.json).toMatchObject({ code: 'unknown_landmark', field: 'source.eventTypes[0].landmarkIds[0]' });
    expect((await call('GET', '/v1/subscriptions/{id}', id)).json).toMatchObject({ revision: 1, source: { eventTypes: [{ type: 'speeding' }, { type: 'landmark_enter', landmarkIds: [own.id] }] } });
    // The operator may name any account's landmark for that account.
    expect((await call('POST', '/v1/subscriptions', '', { body: { ...sub([beta.id]), accountId: 'acc_beta' }, key: operatorKey })).status).toBe(201);
  });
});
