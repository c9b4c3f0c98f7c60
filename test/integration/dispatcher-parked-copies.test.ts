import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDeliveryItem } from '../../services/dispatcher/delivery-item.js';
import { decodeParkedRecord } from '../../services/dispatcher/parking/parked-record.js';
import { DispatcherHarness, gpsPoint, subscriptionIdOnPartition } from '../helpers/dispatcher-harness.js';
import { bodyOf, range } from '../helpers/parking-checks.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

/** 7 days in about 16 s: a parked head is retried every few milliseconds to seconds. */
const timeScale = 16_000 / (7 * 24 * 3_600_000);
const webhookPartitions = 4;
const partition = 3;

/**
 * Chaos seed 22: a dispatcher dies while a subscription is parked; the match stage that
 * takes over its telemetry re-processes what it had not committed, so second copies of
 * parked items (same telemetry origin, new deliveries offsets) reach `webhook.deliveries`.
 * The next owner must know them for what they are although the originals are below the
 * committed offset (it never reads them again) and Redis holds no dedupe mark (the
 * subscription never delivered): the backlog it rebuilds from `webhook.parked` tells it
 * which origins were taken. Otherwise the copies join the backlog and are drained again
 * under new webhook-ids.
 */
describe('second copies of parked items after a crash (child processes, real stack)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '6000', FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(timeScale) });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('the next owner skips re-processed copies of the head and backlog items: every item is delivered once, under one webhook-id', async () => {
    let down = true;
    const accepted: RecordedRequest[] = [];
    const receiver = await WebhookReceiver.start(behaviours.custom((req) => {
      if (down) return { status: 503, body: 'maintenance' };
      accepted.push(req);
      return { status: 200 };
    }));
    receivers.push(receiver);
    const a = await h.startProcess();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'instance A ready' });
    const sub = await h.subscribe({ id: subscriptionIdOnPartition(partition, webhookPartitions), url: receiver.url, accountId: 'acc_pc1', batching: { maxItems: 5, maxWaitMs: 200 } });

    // Down: the first request (seq 1-5) fails and parks; seq 6-12 go to the backlog.
    await h.publish({ gps: range(1, 12).map((s) => gpsPoint('veh_pc1', s, 'acc_pc1')) });
    const parkedTopic = h.topics.get('webhook.parked').name;
    await waitFor(async () => {
      const records = (await readTopic(h.kafka, parkedTopic)).map((r) => decodeParkedRecord(r.value, r.headers));
      return records.filter((r) => r.kind === 'record' && r.record.kind === 'item').length >= 7;
    }, { timeoutMs: 30_000, what: 'the 7 backlog items on webhook.parked' });
    // Every original is finished (head parked, backlog appended): the deliveries commit passes them all.
    await h.waitForDeliveriesCommit(partition, 12);
    const deliveriesTopic = h.topics.get('webhook.deliveries').name;
    await h.kill(a, 'SIGKILL');

    // What a match stage re-processing the telemetry writes: the same items (same origin) again, at new offsets.
    const originals = (await readTopic(h.kafka, deliveriesTopic)).filter((r) => r.partition === partition);
    expect(originals.map((r) => decodeDeliveryItem(r.value)).map((d) => (d.kind === 'item' ? d.item.seq : null))).toEqual(range(1, 12));
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({ topic: deliveriesTopic, acks: -1, messages: originals.slice(3).map((r) => ({ key: sub.id, partition, value: r.value })) });
    await producer.disconnect();

    down = false;
    await h.startProcess();
    await h.publish({ gps: [gpsPoint('veh_pc1', 13, 'acc_pc1')] });
    await waitFor(() => accepted.flatMap((r) => bodyOf(r).data).some((d) => d.seq === 13), { timeoutMs: 60_000, intervalMs: 250, what: 'the new item after the drain' });

    const ids = new Map<number, string[]>();
    for (const req of accepted) for (const d of bodyOf(req).data) ids.set(d.seq, [...(ids.get(d.seq) ?? []), req.headers['webhook-id'] as string]);
    expect([...ids.keys()].sort((x, y) => x - y)).toEqual(range(1, 13));
    // Each item once: the copies of seq 4-12 were skipped as repeats.
    expect([...ids].filter(([, list]) => list.length > 1).map(([seq, list]) => `seq ${seq}: ${list.join(', ')}`)).toEqual([]);
    expect(accepted.flatMap((r) => bodyOf(r).data.map((d) => d.seq))).toEqual(range(1, 13));
  }, 150_000);
});
