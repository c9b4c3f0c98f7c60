import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';

interface Body { data: { vehicleId: string; seq: number }[] }

const vehicles = ['veh_ms1', 'veh_ms2', 'veh_ms3', 'veh_ms4', 'veh_ms5', 'veh_ms6'];

describe('match stage start offsets (real stack)', () => {
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

  // Chaos seed 9 on the cluster: the first owner's commits failed while the group coordinator
  // moved, the group rebalanced, and the next owner, finding no committed offset, started at the
  // end of the partition: the records in between were never matched.
  it('delivers records that reached a partition before the group ever committed an offset of it', async () => {
    const first = await h.startInProcess();
    await h.subscribe({ url: receiver.url, accountId: 'acc_ms', batching: { maxItems: 50, maxWaitMs: 100 } });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${first.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'first dispatcher ready' });
    await first.close();

    // No dispatcher runs: the match group has no committed offset on any telemetry partition.
    const points = vehicles.flatMap((v) => [1, 2, 3, 4, 5].map((seq) => gpsPoint(v, seq, 'acc_ms')));
    await h.publish({ gps: points });

    await h.startInProcess();
    const received = (): { vehicleId: string; seq: number }[] => receiver.requests.flatMap((r) => (JSON.parse(r.text) as Body).data);
    await waitFor(() => received().length >= points.length, { timeoutMs: 30_000, what: `${points.length} points delivered (got ${received().length})` });
    for (const v of vehicles) expect(received().filter((d) => d.vehicleId === v).map((d) => d.seq), v).toEqual([1, 2, 3, 4, 5]);
  });
});
