import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { sleep } from '../helpers/parking-checks.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';

interface Body { data: { vehicleId: string; seq: number }[] }

describe('dispatcher graceful shutdown (child process, real stack)', () => {
  let h: DispatcherHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    h = await DispatcherHarness.create();
    receiver = await WebhookReceiver.start(behaviours.ok());
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('on SIGTERM sends the batches it holds open before it leaves, instead of leaving them to wait a second batch window at the next owner', async () => {
    // A 30 s window: nothing would go before the shutdown on its own.
    await h.subscribe({ url: receiver.url, accountId: 'acc_term', batching: { maxItems: 500, maxWaitMs: 30_000 } });
    const proc = await h.startProcess();
    await h.publish({ gps: [1, 2, 3, 4, 5].flatMap((seq) => ['veh_t1', 'veh_t2'].map((v) => gpsPoint(v, seq, 'acc_term'))) });
    // Until the dispatcher has matched and read them (its items are in open batches then).
    await waitFor(async () => (await fetch(`http://127.0.0.1:${proc.port}/metrics`).then((r) => r.text())).match(/fleethook_dispatcher_open_items (\d+)/)?.[1] === '10', {
      timeoutMs: 30_000, intervalMs: 250, what: 'ten open items',
    });
    await sleep(500);
    expect(receiver.requests).toHaveLength(0);
    const t0 = Date.now();
    await h.kill(proc, 'SIGTERM');
    const exitedInMs = Date.now() - t0;
    const got = receiver.requests.flatMap((r) => (JSON.parse(r.text) as Body).data.map((d) => `${d.vehicleId}#${d.seq}`)).sort();
    expect(got).toEqual(['veh_t1', 'veh_t2'].flatMap((v) => [1, 2, 3, 4, 5].map((s) => `${v}#${s}`)).sort());
    expect(receiver.requests).toHaveLength(2);
    expect(exitedInMs, 'the shutdown stays within the grace').toBeLessThan(20_000);
  }, 120_000);

  it('on SIGTERM a request waiting to retry is left to the next owner with everything of its subscription behind it: the next owner sends them in order', async () => {
    // Chaos seed 9: the request behind was sent at the shutdown; its dedupe mark then made the next owner skip the one left.
    let firstOwner = true;
    const accepted: number[] = [];
    const flaky = await WebhookReceiver.start(behaviours.custom((req) => {
      const seqs = (JSON.parse(req.text) as Body).data.map((d) => d.seq);
      if (firstOwner && seqs.includes(1)) return { status: 503, body: 'not yet' };
      accepted.push(...seqs);
      return { status: 200 };
    }));
    try {
      await h.subscribe({ url: flaky.url, accountId: 'acc_left', batching: { maxItems: 3, maxWaitMs: 300 } });
      const a = await h.startProcess({ FLEETHOOK_DISPATCHER_QUICK_RETRY_DELAYS_MS: '10000,10000' });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'instance A ready' });
      // [1, 2, 3] fails and waits 10 s to retry; [4, 5] closes 300 ms later, behind it.
      await h.publish({ gps: [1, 2, 3, 4, 5].map((seq) => gpsPoint('veh_l1', seq, 'acc_left')) });
      await waitFor(() => flaky.requests.length >= 1, { timeoutMs: 30_000, what: 'the first request (refused)' });
      await sleep(1_000);
      await h.kill(a, 'SIGTERM');
      expect(accepted, 'nothing of the subscription overtook the request left').toEqual([]);
      firstOwner = false;
      await h.startProcess();
      await waitFor(() => accepted.length >= 5, { timeoutMs: 60_000, intervalMs: 250, what: 'the 5 items at the next owner' });
      await sleep(500);
      expect(accepted).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await flaky.close();
    }
  }, 120_000);
});
