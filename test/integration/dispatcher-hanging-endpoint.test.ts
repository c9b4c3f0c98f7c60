import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatcherHarness, gpsPoint, subscriptionIdOnPartition } from '../helpers/dispatcher-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';

interface Body { data: { vehicleId: string; seq: number; time: string }[] }

/** Latency record time → arrival of every item the receiver got for `vehicleId`, from `fromSeq` on. */
function latenciesMs(r: WebhookReceiver, vehicleId: string, fromSeq: number): number[] {
  return r.requests.flatMap((q) => (JSON.parse(q.text) as Body).data
    .filter((d) => d.vehicleId === vehicleId && d.seq >= fromSeq)
    .map((d) => q.receivedAt - Date.parse(d.time)));
}

const max = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);

describe('dispatcher isolation (real stack)', () => {
  let h: DispatcherHarness;
  let healthy: WebhookReceiver;
  let hanging: WebhookReceiver;

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_REQUEST_TIMEOUT_MS: '2000' });
    healthy = await WebhookReceiver.start(behaviours.ok());
    hanging = await WebhookReceiver.start(behaviours.hang());
  });
  afterAll(async () => {
    await h.close();
    await healthy.close();
    await hanging.close();
  });

  it('a hanging endpoint does not slow a healthy one on the same partition', async () => {
    await h.startInProcess();
    const batching = { maxItems: 500, maxWaitMs: 100 };
    // Both subscriptions' deliveries land on partition 1 of webhook.deliveries (4 partitions).
    await h.subscribe({ id: subscriptionIdOnPartition(1, 4), url: healthy.url, accountId: 'acc_iso', vehicleFilter: { vehicleIds: ['veh_ok'] }, batching });
    await h.subscribe({ id: subscriptionIdOnPartition(1, 4), url: hanging.url, accountId: 'acc_iso', vehicleFilter: { vehicleIds: ['veh_hang'] }, batching });
    const publishRounds = async (from: number, to: number, withHanging: boolean): Promise<void> => {
      for (let seq = from; seq <= to; seq++) {
        await h.publish({ gps: [gpsPoint('veh_ok', seq, 'acc_iso'), ...(withHanging ? [gpsPoint('veh_hang', seq, 'acc_iso')] : [])] });
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await publishRounds(1, 20, false);
    await waitFor(() => latenciesMs(healthy, 'veh_ok', 1).length >= 20, { timeoutMs: 20_000, what: 'baseline items' });
    const baseline = latenciesMs(healthy, 'veh_ok', 1).slice(5);
    await publishRounds(21, 60, true);
    await waitFor(() => latenciesMs(healthy, 'veh_ok', 21).length >= 40, { timeoutMs: 20_000, what: 'items while the other endpoint hangs' });
    const withHanging = latenciesMs(healthy, 'veh_ok', 21);
    expect(hanging.requests.length).toBeGreaterThanOrEqual(2);
    console.log(`healthy endpoint max latency: ${max(baseline)} ms alone, ${max(withHanging)} ms beside a hanging one (${hanging.requests.length} hung requests)`);
    expect(max(withHanging)).toBeLessThan(max(baseline) + 400);
  }, 90_000);
});
