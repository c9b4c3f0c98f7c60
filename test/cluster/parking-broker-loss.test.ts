import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExistingTopics } from '../../services/topics/apply-topic-catalogue.js';
import { clusterBrokers, clusterNodes, clusterStatus, startCluster, stopCluster } from '../../stack/cluster.js';
import { isProcessAlive } from '../../stack/process-control.js';
import { DispatcherHarness, gpsPoint, partitionOf } from '../helpers/dispatcher-harness.js';
import { acceptedItems, failureEvents, range, sleep } from '../helpers/parking-checks.js';
import type { DeliveredBody } from '../helpers/parking-checks.js';
import { readTopic } from '../helpers/topic-reader.js';
import { acquireClusterLock } from '../helpers/cluster-lock.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';
import { adminOf } from '../../services/shared/kafka/kafkajs-adapter.js';


/** 7 days in about 60 s: the head's retries keep coming while a broker fails over (~10 s). */
const timeScale = 60_000 / (7 * 24 * 3_600_000);
const webhookPartitions = 4;

/** Leader and in-sync replicas of one partition. */
async function partitionState(admin: Admin, topic: string, partition: number): Promise<{ leader: number; isr: number[] }> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const p = metadata.topics[0]?.partitions.find((x) => x.partitionId === partition);
  if (p === undefined) throw new Error(`no metadata for ${topic}[${partition}]`);
  return { leader: p.leader, isr: p.isr };
}

/** SIGKILLs one node of the cluster (no controlled shutdown: its partitions fail over after the broker session times out). */
async function killNode(nodeId: number): Promise<void> {
  const index = clusterNodes.findIndex((n) => n.nodeId === nodeId);
  const state = (await clusterStatus())[index];
  if (state?.pid === undefined || !state.up) throw new Error(`cluster node ${nodeId} is not running`);
  process.kill(state.pid, 'SIGKILL');
  await waitFor(() => !isProcessAlive(state.pid ?? 0), { timeoutMs: 10_000, what: `node ${nodeId} to die` });
}

describe('parking survives the loss of one broker of three (3-node KRaft cluster, RF 3, min.insync.replicas 2, 7 days in ~60 s)', () => {
  let h: DispatcherHarness;
  let admin: Admin;
  const receivers: WebhookReceiver[] = [];

  let releaseCluster: (() => void) | undefined;

  beforeAll(async () => {
    releaseCluster = await acquireClusterLock('parking-broker-loss test', 8 * 60_000);
    await startCluster();
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(timeScale) }, { brokers: clusterBrokers, replicationFactor: 3 });
    admin = h.kafka.admin();
    await admin.connect();
  }, 10 * 60_000);

  afterAll(async () => {
    if (process.env.DEBUG_DISPATCHER) console.log(h?.logLines.join('\n'));
    await admin?.disconnect();
    await h?.close();
    await Promise.all(receivers.map((r) => r.close()));
    await stopCluster({ removeData: true });
    releaseCluster?.();
  }, 120_000);

  it('keeps the parked state and backlog when the leader of the parked partition is SIGKILLed mid-parking: every item delivered in order, each parked item delivered once', { timeout: 180_000 }, async () => {
    const parkedTopic = h.topics.get('webhook.parked').name;
    const existing = await readExistingTopics(adminOf(admin), h.topics.topics.map((t) => t.name));
    const parkedMetadata = await admin.fetchTopicMetadata({ topics: [parkedTopic] });
    for (const p of parkedMetadata.topics[0]?.partitions ?? []) expect(p.replicas).toHaveLength(3);
    for (const t of h.topics.topics) expect(existing.get(t.name)?.configs['min.insync.replicas'], t.name).toBe('2');

    let up = false;
    const accepted: RecordedRequest[] = [];
    const receiver = await WebhookReceiver.start(behaviours.custom((req) => {
      if (!up) return { status: 503, body: 'down' };
      accepted.push(req);
      return { status: 200 };
    }));
    receivers.push(receiver);
    const sub = await h.subscribe({ url: receiver.url, accountId: 'acc_bl', batching: { maxItems: 10, maxWaitMs: 200 } });
    const partition = partitionOf(sub.id, webhookPartitions);
    const vehicles = ['veh_b1', 'veh_b2'];
    const publish = (seqs: number[]): Promise<void> => h.publish({ gps: seqs.flatMap((s) => vehicles.map((v) => gpsPoint(v, s, 'acc_bl'))) });
    const app = await h.startInProcess();
    // Every seq up to `last` arrived for each vehicle (repeats are judged by the assertions that follow).
    const covers = (got: DeliveredBody['data'], last: number): boolean =>
      vehicles.every((v) => new Set(got.filter((d) => d.vehicleId === v).map((d) => d.seq)).size >= last);
    const failWith = (err: unknown): never => {
      const got = acceptedItems(accepted);
      const seqs = vehicles.map((v) => `${v}: ${got.filter((d) => d.vehicleId === v).map((d) => d.seq).join(',')}`);
      throw new Error(`${String(err)}; ${receiver.requests.length} requests, accepted ${got.length} items: ${seqs.join(' | ')}\n${h.logLines.slice(-40).join('\n')}`);
    };

    // Down: park, then a backlog on webhook.parked, and the head retried from the tiers.
    await publish(range(1, 20));
    await waitFor(() => app.deliveries.parkedSubscriptions().get(sub.id) === 'parked', { timeoutMs: 30_000, what: 'the subscription to park' });
    const atPark = receiver.requests.length;
    await publish(range(21, 40));
    await waitFor(async () => {
      const ends = await admin.fetchTopicOffsets(parkedTopic);
      return Number(ends.find((o) => o.partition === partition)?.high ?? 0) >= 1 + 40;
    }, { timeoutMs: 20_000, intervalMs: 200, what: 'items 21–40 in the backlog' });
    await waitFor(() => receiver.requests.length > atPark, { timeoutMs: 20_000, what: 'a first tier retry of the head' });

    // Publish and at once SIGKILL the leader of the subscription's parked partition, while the dispatcher parks those items.
    const victim = (await partitionState(admin, parkedTopic, partition)).leader;
    await publish(range(41, 60));
    await killNode(victim);
    const atKill = receiver.requests.length;
    const killedAtMs = Date.now();
    await waitFor(async () => {
      const metadata = await admin.fetchTopicMetadata({ topics: h.topics.topics.map((t) => t.name) });
      return metadata.topics.every((t) => t.partitions.every((p) => p.leader !== victim && !p.isr.includes(victim)));
    }, { timeoutMs: 40_000, intervalMs: 500, what: `every leader to move off node ${victim}` });
    const failoverMs = Date.now() - killedAtMs;
    await publish(range(61, 80));
    // The schedule goes on on two brokers: the head is retried again (the tickets to the next tiers were written).
    await waitFor(() => receiver.requests.length >= atKill + 2, { timeoutMs: 30_000, what: 'two retries of the head after the broker loss' }).catch(failWith);
    await waitFor(() => app.deliveries.parkedSubscriptions().get(sub.id) === 'parked', { timeoutMs: 20_000, what: 'the subscription still parked after the failover' });

    // Up, with live data still arriving: everything in order per vehicle, nothing lost.
    up = true;
    for (let s = 81; s <= 90; s++) {
      await publish([s]);
      await sleep(150);
    }
    const items = await waitFor(() => {
      const got = acceptedItems(accepted);
      return covers(got, 90) && got;
    }, { timeoutMs: 60_000, what: 'seq 1–90 of both vehicles at the recovered endpoint' }).catch(failWith);
    for (const v of vehicles) expect(items.filter((d) => d.vehicleId === v).map((d) => d.seq), v).toEqual(range(1, 90));
    await waitFor(() => !app.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 20_000, what: 'the end of the episode' });

    // The broker comes back and catches up; live delivery goes on.
    await startCluster();
    await waitFor(async () => (await partitionState(admin, parkedTopic, partition)).isr.length === 3, { timeoutMs: 60_000, intervalMs: 500, what: `node ${victim} back in the ISR` });
    await publish(range(91, 95));
    const all = await waitFor(() => {
      const got = acceptedItems(accepted);
      return covers(got, 95) && got;
    }, { timeoutMs: 30_000, what: 'seq 1–95 of both vehicles after the restart' }).catch(failWith);
    for (const v of vehicles) expect(all.filter((d) => d.vehicleId === v).map((d) => d.seq), v).toEqual(range(1, 95));

    // One episode, its retries counted across the broker loss; every parked item delivered once (checked above), also one
    // whose write to webhook.parked failed over and was retried after it had landed (written twice: the drain skips the copy).
    const events = await failureEvents(h, sub.id);
    // Events are at-least-once: a write that failed over may repeat one (the alerter sends each alert once anyway);
    // the schedule itself never forks — retry counts never go back, and nothing follows the recovery but a repeat of it.
    expect(events.filter((e) => e.kind === 'parked')).toHaveLength(1);
    const firstRecovered = events.findIndex((e) => e.kind === 'recovered');
    expect(firstRecovered).toBeGreaterThan(0);
    expect(events.slice(firstRecovered).every((e) => e.kind === 'recovered')).toBe(true);
    const counts = events.filter((e) => e.kind === 'still_failing').map((e) => e.retryCount);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const parkedItems = (await readTopic(h.kafka, parkedTopic)).filter((r) => r.key === sub.id && r.headers['fleethook-parked-kind']?.toString() === 'item');
    const offsets = parkedItems.map((r) => r.headers['fleethook-deliveries-offset']?.toString());
    expect(new Set(offsets).size).toBeGreaterThanOrEqual(40);
    console.log(`parking-broker-loss: killed node ${victim} (leader of ${parkedTopic}[${partition}]), failover ${failoverMs} ms, ${receiver.requests.length} requests, ${events.length} failure events, ${offsets.length} parked items (${offsets.length - new Set(offsets).size} written twice)`);
  });
});
