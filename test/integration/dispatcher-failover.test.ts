import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

interface Body { id: string; subscriptionId: string; data: { vehicleId: string; seq: number }[] }

const vehicles = ['veh_f1', 'veh_f2', 'veh_f3', 'veh_f4', 'veh_f5', 'veh_f6'];
const rounds = 120;

/**
 * Checks one subscription's receiver: every (vehicle, seq) arrived, first copies in order,
 * and every repeat carries the webhook-id of its first copy. Returns the repeat count.
 */
function checkReceiver(requests: readonly RecordedRequest[]): { repeats: number; badIds: string[] } {
  const firstId = new Map<string, string>();
  const order = new Map<string, number[]>();
  const badIds: string[] = [];
  let repeats = 0;
  for (const req of requests) {
    const body = JSON.parse(req.text) as Body;
    expect(req.headers['webhook-id']).toBe(body.id);
    for (const d of body.data) {
      const key = `${d.vehicleId}#${d.seq}`;
      const seen = firstId.get(key);
      if (seen === undefined) {
        firstId.set(key, body.id);
        order.set(d.vehicleId, [...(order.get(d.vehicleId) ?? []), d.seq]);
      } else {
        repeats++;
        if (seen !== body.id) badIds.push(`${key}: ${seen} then ${body.id}`);
      }
    }
  }
  for (const v of vehicles) expect(order.get(v), v).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
  return { repeats, badIds };
}

describe('dispatcher failover (child processes, real stack)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create();
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('keeps per-subscription and per-vehicle order with no loss while one instance is SIGKILLed and another joins; repeats keep their webhook-id', async () => {
    for (let i = 0; i < 6; i++) receivers.push(await WebhookReceiver.start(behaviours.delay(5, { status: 200 })));
    const subs: Subscription[] = [];
    for (const r of receivers) subs.push(await h.subscribe({ url: r.url, accountId: 'acc_fo', batching: { maxItems: 7, maxWaitMs: 150 } }));
    const a = await h.startProcess();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'instance A ready' });
    let published = 0;
    const publishing = (async () => {
      for (let seq = 1; seq <= rounds; seq++) {
        await h.publish({ gps: vehicles.map((v) => gpsPoint(v, seq, 'acc_fo')) });
        published = seq;
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    await waitFor(() => published >= 30, { timeoutMs: 30_000, what: 'a third of the stream' });
    const b = await h.startProcess();
    await waitFor(() => published >= 70, { timeoutMs: 30_000, what: 'two thirds of the stream' });
    await h.kill(a, 'SIGKILL');
    await waitFor(() => published >= 90, { timeoutMs: 30_000, what: 'more of the stream' });
    await h.startProcess();
    await publishing;
    await waitFor(() => receivers.every((r) => {
      const items = new Set(r.requests.flatMap((q) => (JSON.parse(q.text) as Body).data.map((d) => `${d.vehicleId}#${d.seq}`)));
      return items.size >= vehicles.length * rounds;
    }), { timeoutMs: 90_000, intervalMs: 250, what: 'every item at every receiver' });
    let repeats = 0;
    for (const [i, r] of receivers.entries()) {
      expect(r.requests.every((q) => (JSON.parse(q.text) as Body).subscriptionId === subs[i]?.id)).toBe(true);
      const result = checkReceiver(r.requests);
      repeats += result.repeats;
      expect(result.badIds).toEqual([]);
    }
    console.log(`failover: ${repeats} repeated items across ${receivers.length} subscriptions; instance B output lines: ${b.output.length}`);
  }, 180_000);
});
