import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { SubscriptionCatalogue } from '../../services/shared/subscriptions/subscription-catalogue.js';
import type { CatalogueChange } from '../../services/shared/subscriptions/subscription-catalogue.js';
import { AdminApiHarness, operatorKey } from '../helpers/admin-api-harness.js';
import { uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';

let h: AdminApiHarness;
let receiver: WebhookReceiver;
const catalogues: SubscriptionCatalogue[] = [];

beforeAll(async () => {
  h = await AdminApiHarness.create();
  receiver = await WebhookReceiver.start();
});

afterAll(async () => {
  for (const c of catalogues) await c.close();
  await receiver?.close();
  await h?.close();
});

async function startCatalogue(): Promise<SubscriptionCatalogue> {
  const c = new SubscriptionCatalogue({ kafka: kafkaClientOf(h.kafka), topic: h.topic, logger: h.logger, groupIdPrefix: uniqueName('catalogue-test') });
  catalogues.push(c);
  await c.start();
  return c;
}

async function create(app: AdminApp, name: string): Promise<string> {
  const r = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name, source: { kind: 'dtc' } } });
  expect(r.status).toBe(201);
  return (r.json as { subscription: { id: string } }).subscription.id;
}

async function listAll(app: AdminApp): Promise<unknown[]> {
  const r = await h.call(app, 'GET', '/v1/subscriptions?limit=200', { key: operatorKey });
  return (r.json as { data: unknown[] }).data;
}

describe('subscription catalogue', () => {
  it('gives read-your-writes on a second admin instance, with no waiting in the test', async () => {
    const a = await h.startInstance();
    const b = await h.startInstance();
    for (let i = 0; i < 5; i++) {
      const id = await create(a, `ryw ${i}`);
      expect((await h.call(b, 'GET', `/v1/subscriptions/${id}`)).json).toMatchObject({ id, name: `ryw ${i}`, revision: 1 });
      await h.call(b, 'PATCH', `/v1/subscriptions/${id}`, { body: { name: `renamed ${i}` } });
      expect((await h.call(a, 'GET', `/v1/subscriptions/${id}`)).json).toMatchObject({ name: `renamed ${i}`, revision: 2 });
      await h.call(a, 'POST', `/v1/subscriptions/${id}/pause`);
      expect((await h.call(b, 'GET', `/v1/subscriptions/${id}`)).json).toMatchObject({ state: 'paused', enabled: false });
      expect((await h.call(b, 'DELETE', `/v1/subscriptions/${id}`)).status).toBe(204);
      expect((await h.call(a, 'GET', `/v1/subscriptions/${id}`)).status).toBe(404);
    }
    await h.stopInstance(a);
    await h.stopInstance(b);
  });

  it('is rebuilt from the topic after a restart exactly as the API showed it', async () => {
    const a = await h.startInstance();
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await create(a, `rebuild ${i}`));
    await h.call(a, 'POST', `/v1/subscriptions/${ids[0]}/pause`);
    await h.call(a, 'PATCH', `/v1/subscriptions/${ids[1]}`, { body: { batching: { maxItems: 7, maxWaitMs: 250 }, alertEmails: ['ops@example.com'] } });
    await h.call(a, 'POST', `/v1/subscriptions/${ids[2]}/rotate-secret`);
    await h.call(a, 'DELETE', `/v1/subscriptions/${ids[3]}`);
    const before = await listAll(a);
    await h.stopInstance(a);

    const restarted = await h.startInstance();
    expect(await listAll(restarted)).toEqual(before);
    const fresh = await startCatalogue();
    expect(fresh.ready()).toBe(true);
    expect(fresh.list().map((s) => ({ id: s.id, revision: s.revision, state: s.state })))
      .toEqual((before as { id: string; revision: number; state: string }[]).map((s) => ({ id: s.id, revision: s.revision, state: s.state })));
    expect(fresh.get(ids[3] ?? '')).toBeUndefined();
    await h.stopInstance(restarted);
  });

  it('delivers a delete to every catalogue instance as a removal', async () => {
    const app = await h.startInstance();
    const id = await create(app, 'to be deleted');
    const [c1, c2] = [await startCatalogue(), await startCatalogue()];
    const seen: CatalogueChange[][] = [[], []];
    c1.onChange((ch) => seen[0]?.push(ch));
    c2.onChange((ch) => seen[1]?.push(ch));
    expect(c1.get(id)).toBeDefined();
    expect(c2.get(id)).toBeDefined();
    expect((await h.call(app, 'DELETE', `/v1/subscriptions/${id}`)).status).toBe(204);
    for (const [i, c] of [c1, c2].entries()) {
      await waitFor(() => c.get(id) === undefined, { what: `catalogue ${i} to drop ${id}` });
      expect(seen[i]).toContainEqual(expect.objectContaining({ kind: 'removed', id }));
    }
    // Live updates reach the instances too.
    const later = await create(app, 'created later');
    await waitFor(() => c1.get(later) && c2.get(later), { what: 'live upsert' });
    await h.stopInstance(app);
  });
});
