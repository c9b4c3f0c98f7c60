import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadConfig } from '../../services/receiver/config.js';
import { formatDelivery, SampleReceiver } from '../../services/receiver/sample-receiver.js';
import type { ReceivedDelivery } from '../../services/receiver/sample-receiver.js';
import { AdminApiHarness } from '../helpers/admin-api-harness.js';

let h: AdminApiHarness;
let app: AdminApp;
const receivers: SampleReceiver[] = [];

beforeAll(async () => {
  h = await AdminApiHarness.create();
  app = await h.startInstance();
});

afterAll(async () => {
  for (const r of receivers) await r.close();
  await h?.close();
});

async function startReceiver(secrets: string[]): Promise<{ url: string; got: ReceivedDelivery[] }> {
  const got: ReceivedDelivery[] = [];
  const r = new SampleReceiver(secrets, (d) => got.push(d));
  receivers.push(r);
  const port = await r.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/webhooks`, got };
}

describe('the sample receiver, driven through the admin API as the README describes', () => {
  it('is verified, receives a signed test event, and reports a wrong secret', async () => {
    // The receiver needs the secret, which the API returns once on create: create, then start, then point the URL at it.
    const placeholder = await startReceiver([]);
    const created = await h.call(app, 'POST', '/v1/subscriptions', { body: { url: placeholder.url, name: 'sample', source: { kind: 'gps' } } });
    const { subscription, signingSecret } = created.json as { subscription: { id: string }; signingSecret: string };
    const cfg = loadConfig({}, ['--secret', signingSecret, '--port', '0']);
    const sample = await startReceiver([...cfg.secrets]);
    await h.call(app, 'PATCH', `/v1/subscriptions/${subscription.id}`, { body: { url: sample.url } });

    const verified = await h.call(app, 'POST', `/v1/subscriptions/${subscription.id}/verify`);
    expect(verified.json).toMatchObject({ result: { kind: 'verified' }, subscription: { state: 'active' } });
    const test = await h.call(app, 'POST', `/v1/subscriptions/${subscription.id}/test`);
    expect(test.json).toMatchObject({ delivered: true, statusCode: 204 });
    expect(sample.got.map((d) => formatDelivery(d))).toEqual([
      'verify challenge  signature ok  → answered',
      `${(test.json as { webhookId: string }).webhookId}  type=gps  mode=test  items=1  signature ok  → 204`,
    ]);

    // The placeholder knew no secret: the same test event is refused as unsigned for it.
    await h.call(app, 'PATCH', `/v1/subscriptions/${subscription.id}`, { body: { url: placeholder.url } });
    const refused = await h.call(app, 'POST', `/v1/subscriptions/${subscription.id}/test`);
    expect(refused.json).toMatchObject({ delivered: false, statusCode: 401 });
    expect(placeholder.got.at(-1)?.signature).toEqual({ kind: 'invalid', reason: 'no_matching_signature' });
  });
});
