import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { decodeRequestIntent } from '../../services/dispatcher/intents/request-intent.js';
import { DispatcherHarness, gpsPoint, subscriptionIdOnPartition } from '../helpers/dispatcher-harness.js';
import { wipeRedis } from '../helpers/wipe-redis.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';

interface Body { id: string; data: { vehicleId: string; seq: number }[] }

/** Per item (vehicle#seq) the webhook-ids it arrived under, in arrival order. */
function idsPerItem(requests: readonly RecordedRequest[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const req of requests) {
    const body = JSON.parse(req.text) as Body;
    expect(req.headers['webhook-id']).toBe(body.id);
    for (const d of body.data) {
      const key = `${d.vehicleId}#${d.seq}`;
      out.set(key, [...(out.get(key) ?? []), body.id]);
    }
  }
  return out;
}

const changedIds = (ids: Map<string, string[]>): string[] => [...ids].filter(([, list]) => new Set(list).size > 1).map(([k, list]) => `${k}: ${list.join(' then ')}`);


const webhookPartitions = 4;

/**
 * A request cut in flight, and requests delivered but not yet committed, are sent again by
 * the next owner exactly as they were (their intents on `webhook.intents`), so a repeated
 * item only ever carries its first webhook-id — even when the next owner would batch them
 * differently (the subscription's batching changed meanwhile, or the items are all there
 * at once) and Redis lost every dedupe mark.
 */
describe('exact re-send after a hand-over (child processes, real stack)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '6000', FLEETHOOK_DISPATCHER_REQUEST_TIMEOUT_MS: '60000' });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('SIGKILL during a hanging request, Redis wiped: every repeated item keeps its webhook-id, nothing is lost', async () => {
    // Both subscriptions on one partition: the hanging request holds the partition's commit, so the other's delivered requests are read again too.
    const hanging = await WebhookReceiver.start(behaviours.hang());
    const healthy = await WebhookReceiver.start(behaviours.ok());
    receivers.push(hanging, healthy);
    const a = await h.startProcess();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'instance A ready' });
    const cut: Subscription = await h.subscribe({ id: subscriptionIdOnPartition(1, webhookPartitions), url: hanging.url, accountId: 'acc_xr1', batching: { maxItems: 20, maxWaitMs: 300 } });
    const done = await h.subscribe({ id: subscriptionIdOnPartition(1, webhookPartitions), url: healthy.url, accountId: 'acc_xr2', batching: { maxItems: 50, maxWaitMs: 150 } });

    // The cut request: 10 points of one vehicle in one request, which hangs.
    await h.publish({ gps: Array.from({ length: 10 }, (_, i) => gpsPoint('veh_x1', i + 1, 'acc_xr1')) });
    await waitFor(() => hanging.requests.length >= 1, { timeoutMs: 30_000, what: 'the request that hangs' });
    // Delivered, not committed: 6 small requests of the healthy subscription (2 points each) behind the hanging one's offsets.
    for (let round = 0; round < 6; round++) {
      await h.publish({ gps: [gpsPoint('veh_x2', 2 * round + 1, 'acc_xr2'), gpsPoint('veh_x2', 2 * round + 2, 'acc_xr2')] });
      await waitFor(() => healthy.requests.length >= round + 1, { timeoutMs: 30_000, what: `healthy request ${round + 1}` });
    }
    // Both were written as intents before they were sent; a malformed intent is skipped, not fatal.
    const intentsTopic = h.topics.get('webhook.intents').name;
    const intents = await waitFor(async () => {
      const records = await readTopic(h.kafka, intentsTopic);
      return records.length >= 7 && records;
    }, { timeoutMs: 20_000, what: 'the intents of the 7 requests' });
    const decoded = intents.map((r) => decodeRequestIntent(r.value));
    expect(decoded.every((d) => d.kind === 'intent')).toBe(true);
    expect(decoded.map((d) => (d.kind === 'intent' ? d.intent.offsets.length : 0)).sort((x, y) => x - y)).toEqual([2, 2, 2, 2, 2, 2, 10]);
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({ topic: intentsTopic, acks: -1, messages: [{ key: cut.id, partition: 1, value: Buffer.from('{"v":1,"o":[3,0]}') }] });
    await producer.disconnect();

    // What the next owner would batch differently: one item per request now, and every item there at once.
    await h.put({ ...cut, batching: { maxItems: 1, maxWaitMs: 300 }, revision: cut.revision + 1 });
    expect(await wipeRedis(h.env.FLEETHOOK_REDIS_KEY_PREFIX as string)).toBeGreaterThan(0);
    await h.kill(a, 'SIGKILL');
    hanging.behave(behaviours.ok());
    const b = await h.startProcess();
    await h.publish({ gps: [gpsPoint('veh_x1', 11, 'acc_xr1'), gpsPoint('veh_x2', 13, 'acc_xr2')] });

    await waitFor(() => idsPerItem(hanging.requests.slice(1)).size >= 11 && idsPerItem(healthy.requests).size >= 13, { timeoutMs: 60_000, intervalMs: 250, what: 'every item at both endpoints' });
    const cutIds = idsPerItem(hanging.requests);
    const doneIds = idsPerItem(healthy.requests);
    expect(changedIds(cutIds)).toEqual([]);
    expect(changedIds(doneIds)).toEqual([]);
    // The cut request went again whole, under its id; the new item alone (maxItems 1 now).
    expect((JSON.parse(hanging.requests[1]?.text ?? '{}') as Body).data.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...cutIds.keys()].length).toBe(11);
    expect(b.output.join('')).toContain('skipping a malformed request intent');
    const repeats = [...cutIds.values(), ...doneIds.values()].reduce((n, list) => n + list.length - 1, 0);
    console.log(`exact re-send: ${repeats} repeated items, all under their first webhook-id (${hanging.requests.length} + ${healthy.requests.length} requests)`);
  }, 150_000);
});

describe('a finished request read again after a hand-over (child processes, real stack)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '6000', FLEETHOOK_DISPATCHER_REQUEST_TIMEOUT_MS: '60000' });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('a request delivered across the committed offset (lowest item below it, others above), Redis wiped: its items are not sent again', async () => {
    // One partition; the hanging request holds the commit between the healthy subscription's first item and its later ones.
    const hanging = await WebhookReceiver.start(behaviours.hang());
    const healthy = await WebhookReceiver.start(behaviours.ok());
    receivers.push(hanging, healthy);
    const a = await h.startProcess();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'instance A ready' });
    const partition = 2;
    await h.subscribe({ id: subscriptionIdOnPartition(partition, webhookPartitions), url: hanging.url, accountId: 'acc_xs1', batching: { maxItems: 1, maxWaitMs: 0 } });
    await h.subscribe({ id: subscriptionIdOnPartition(partition, webhookPartitions), url: healthy.url, accountId: 'acc_xs2', batching: { maxItems: 50, maxWaitMs: 3_000 } });
    const deliveries = h.topics.get('webhook.deliveries').name;
    const itemsOnPartition = async (n: number): Promise<void> => {
      await waitFor(async () => (await readTopic(h.kafka, deliveries)).filter((r) => r.partition === partition).length >= n, { timeoutMs: 20_000, what: `${n} items on deliveries partition ${partition}` });
    };
    // Offsets 0 (healthy), 1 (held: hangs), 2..3 (healthy): the healthy request [0, 2, 3] goes once its 3 s wait is over.
    await h.publish({ gps: [gpsPoint('veh_y2', 1, 'acc_xs2')] });
    await itemsOnPartition(1);
    await h.publish({ gps: [gpsPoint('veh_y1', 1, 'acc_xs1')] });
    await itemsOnPartition(2);
    await h.publish({ gps: [gpsPoint('veh_y2', 2, 'acc_xs2'), gpsPoint('veh_y2', 3, 'acc_xs2')] });
    await waitFor(() => healthy.requests.length >= 1 && hanging.requests.length >= 1, { timeoutMs: 30_000, what: 'the healthy request and the hanging one' });
    expect((JSON.parse(healthy.requests[0]?.text ?? '{}') as Body).data.map((d) => d.seq)).toEqual([1, 2, 3]);
    // The commit reaches offset 1 (the held item), inside the delivered request.
    await h.waitForDeliveriesCommit(partition, 1, 20_000);

    expect(await wipeRedis(h.env.FLEETHOOK_REDIS_KEY_PREFIX as string)).toBeGreaterThan(0);
    await h.kill(a, 'SIGKILL');
    hanging.behave(behaviours.ok());
    await h.startProcess();
    await h.publish({ gps: [gpsPoint('veh_y2', 4, 'acc_xs2')] });
    await waitFor(() => idsPerItem(healthy.requests).size >= 4 && hanging.requests.length >= 2, { timeoutMs: 60_000, intervalMs: 250, what: 'the new item, and the held request again' });
    const ids = idsPerItem(healthy.requests);
    expect(changedIds(ids)).toEqual([]);
    // Items 2 and 3 (above the commit) were read again and skipped: their request had finished.
    expect([...ids].filter(([, list]) => list.length > 1).map(([k]) => k)).toEqual([]);
    expect(idsPerItem(hanging.requests).get('veh_y1#1')?.length).toBe(2);
  }, 150_000);
});

/**
 * Chaos seed 24 on the cluster: a match stage re-processed telemetry after a SIGKILL, so
 * second copies of delivered items (same telemetry origin) reached `webhook.deliveries`
 * after the originals; Redis was wiped; then the deliveries partition changed hands while
 * the copies were above the committed offset (a request of another subscription held it)
 * and the originals below it. The next owner neither read the originals nor had their
 * marks, and sent the copies again under a new webhook-id. It now reads back the records
 * below the committed offset (`FLEETHOOK_DISPATCHER_ORIGIN_LOOKBACK_RECORDS`) for their
 * origins only.
 */
describe('re-processed copies of delivered items after a Redis wipe and a hand-over (child processes, real stack)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '6000', FLEETHOOK_DISPATCHER_REQUEST_TIMEOUT_MS: '60000' });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('skips copies whose originals lie below the committed offset: each item under one webhook-id', async () => {
    const hanging = await WebhookReceiver.start(behaviours.hang());
    const healthy = await WebhookReceiver.start(behaviours.ok());
    receivers.push(hanging, healthy);
    const a = await h.startProcess();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'instance A ready' });
    const done = await h.subscribe({ id: subscriptionIdOnPartition(1, webhookPartitions), url: healthy.url, accountId: 'acc_xr5', batching: { maxItems: 4, maxWaitMs: 150 } });
    await h.subscribe({ id: subscriptionIdOnPartition(1, webhookPartitions), url: hanging.url, accountId: 'acc_xr6', batching: { maxItems: 20, maxWaitMs: 150 } });

    // The originals: delivered (deliveries offsets 0-3), then a request of the other subscription hangs at offsets 4-6.
    await h.publish({ gps: [1, 2, 3, 4].map((s) => gpsPoint('veh_x5', s, 'acc_xr5')) });
    await waitFor(() => idsPerItem(healthy.requests).size >= 4, { timeoutMs: 30_000, what: 'the 4 originals delivered' });
    await h.publish({ gps: [1, 2, 3].map((s) => gpsPoint('veh_x6', s, 'acc_xr6')) });
    await waitFor(() => hanging.requests.length >= 1, { timeoutMs: 30_000, what: 'the request that hangs' });
    await h.waitForDeliveriesCommit(1, 4);
    const deliveriesTopic = h.topics.get('webhook.deliveries').name;

    // What a match stage re-processing the telemetry writes: the originals again (same origin), above the committed offset.
    const originals = (await readTopic(h.kafka, deliveriesTopic)).filter((r) => r.partition === 1).slice(0, 4);
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({ topic: deliveriesTopic, acks: -1, messages: originals.map((r) => ({ key: done.id, partition: 1, value: r.value })) });
    await producer.disconnect();
    expect(await wipeRedis(h.env.FLEETHOOK_REDIS_KEY_PREFIX as string)).toBeGreaterThan(0);
    await h.kill(a, 'SIGKILL');
    hanging.behave(behaviours.ok());
    await h.startProcess();
    await h.publish({ gps: [gpsPoint('veh_x5', 5, 'acc_xr5'), gpsPoint('veh_x6', 4, 'acc_xr6')] });

    await waitFor(() => idsPerItem(healthy.requests).size >= 5 && idsPerItem(hanging.requests.slice(1)).size >= 4, { timeoutMs: 60_000, intervalMs: 250, what: 'every item at both endpoints' });
    await new Promise((r) => setTimeout(r, 1_000));
    const doneIds = idsPerItem(healthy.requests);
    expect(changedIds(doneIds)).toEqual([]);
    expect(changedIds(idsPerItem(hanging.requests))).toEqual([]);
    // The copies were skipped, not sent again (not even under the first id).
    expect([...doneIds].filter(([, list]) => list.length > 1).map(([k]) => k)).toEqual([]);
  }, 150_000);
});
