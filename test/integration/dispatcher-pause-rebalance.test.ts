import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { ReplySpec } from '../helpers/webhook-receiver.js';

interface Body { data: { vehicleId: string; seq: number }[] }

describe('dispatcher back-pressure across a rebalance (real stack)', () => {
  let h: DispatcherHarness;
  let receiver: WebhookReceiver;
  // The endpoint hangs until it comes back; then it answers every request, those it held too (not
  // waiting out the 60 s request timeout, which only has to outlast the rebalances).
  let comeBack: (reply: ReplySpec) => void = () => undefined;
  const held = new Promise<ReplySpec>((resolve) => (comeBack = resolve));

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_MAX_OPEN_ITEMS_PER_PARTITION: '10', FLEETHOOK_DISPATCHER_REQUEST_TIMEOUT_MS: '60000' });
    receiver = await WebhookReceiver.start(behaviours.custom(() => held));
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('a partition paused for back-pressure when its generation ends is read again by the next one (kafkajs keeps pauses across rebalances)', async () => {
    const a = await h.startInProcess();
    const sub = await h.subscribe({ url: receiver.url, accountId: 'acc_pause', batching: { maxItems: 500, maxWaitMs: 100 } });
    const vehicles = Array.from({ length: 30 }, (_, i) => `veh_p${i}`);
    await h.publish({ gps: vehicles.map((v) => gpsPoint(v, 1, 'acc_pause')) });
    // The endpoint hangs, so the subscription's requests queue behind the first one: more unfinished items than the cap of 10
    // pause the partition (how many are read before the pause depends on how the match stage's writes were fetched).
    await waitFor(() => a.deliveries.openItems > 10 && receiver.requests.length >= 1, { timeoutMs: 30_000, what: 'the partition over its cap' });
    // A second instance joins and leaves: two rebalances while the partition is paused.
    const b = await h.startInProcess();
    await waitFor(() => b.deliveries.assignment.length > 0, { timeoutMs: 30_000, what: 'the second instance to own partitions' });
    await b.close();
    await waitFor(() => a.deliveries.assignment.length === 4, { timeoutMs: 30_000, what: 'the first instance to own every partition again' });
    comeBack({ status: 200 });
    await h.publish({ gps: vehicles.map((v) => gpsPoint(v, 2, 'acc_pause')) });
    const seen = (): Set<string> => new Set(receiver.requests.filter((r) => r.text.length > 0).flatMap((r) => {
      try {
        return (JSON.parse(r.text) as Body).data.map((d) => `${d.vehicleId}#${d.seq}`);
      } catch {
        return [];
      }
    }));
    await waitFor(() => seen().size >= 60, { timeoutMs: 60_000, what: `all 60 items of ${sub.id}` }).catch((err: unknown) => {
      throw new Error(`${String(err)}; got ${seen().size}`);
    });
    expect(seen().size).toBe(60);
  }, 180_000);
});
