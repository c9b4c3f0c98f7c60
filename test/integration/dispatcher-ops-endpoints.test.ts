import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';

describe('dispatcher health and metrics (real stack)', () => {
  let h: DispatcherHarness;
  let r: WebhookReceiver;
  beforeAll(async () => {
    h = await DispatcherHarness.create();
    r = await WebhookReceiver.start(behaviours.ok());
  });
  afterAll(async () => {
    await h.close();
    await r.close();
  });

  it('answers /healthz and /readyz, and /metrics counts consumption, deliveries by outcome and status class, latency and batch sizes', async () => {
    const app = await h.startInProcess();
    const base = `http://127.0.0.1:${app.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { what: 'ready' });
    await h.subscribe({ url: r.url, batching: { maxItems: 2, maxWaitMs: 100 } });
    await h.publish({ gps: [gpsPoint('veh_m', 1), gpsPoint('veh_m', 2)] });
    await r.waitForRequests(1, 20_000);
    const text = await waitFor(async () => {
      const t = await (await fetch(`${base}/metrics`)).text();
      return /fleethook_dispatcher_deliveries_total\{outcome="delivered",status_class="2xx"\} 1/.test(t) && t;
    }, { what: 'delivery metrics' });
    expect(text).toMatch(/fleethook_dispatcher_records_consumed_total\{topic="telemetry.gps"\} 2/);
    expect(text).toMatch(/fleethook_dispatcher_end_to_end_latency_seconds_count 2/);
    expect(text).toMatch(/fleethook_dispatcher_batch_items_sum\{kind="gps"\} 2/);
    expect(text).toMatch(/fleethook_dispatcher_request_duration_seconds_count\{outcome="delivered"\} 1/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
