import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import type { Subscription, SubscriptionSource } from '../../services/shared/subscriptions/subscription-types.js';
import { checkSubscription, itemKey, summariseItems } from '../helpers/delivery-invariants.js';
import type { ExpectedItem } from '../helpers/delivery-invariants.js';
import { DispatcherHarness, subscriptionIdOnPartition } from '../helpers/dispatcher-harness.js';
import type { DispatcherProcess } from '../helpers/dispatcher-harness.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { decodeDeliveryItem } from '../../services/dispatcher/delivery-item.js';
import { decodeParkedRecord } from '../../services/dispatcher/parking/parked-record.js';
import { parseDelivery } from '../helpers/webhook-delivery.js';
import type { ParsedDelivery } from '../helpers/webhook-delivery.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest, ReplySpec } from '../helpers/webhook-receiver.js';

/**
 * Issue 10's incident, shrunk: one account with 7 subscriptions, 100 vehicles at 2 GPS
 * points/s for 40 s; two GPS endpoints fail (503, and 429 with Retry-After: 2) from
 * t ≈ 8 s to t ≈ 30 s, so both are parked when the only dispatcher is SIGKILLed at
 * t ≈ 20 s and restarted at once. Nothing may be lost and every vehicle's items arrive in
 * order, at every subscription.
 */
const accountId = 'acc_crash';
const vehicles = Array.from({ length: 100 }, (_, i) => `veh_c${String(i).padStart(3, '0')}`);
const tickMs = 500;
const ticks = 80;
const failFromTick = 16;
const killAtTick = 40;
const healAtTick = 60;
/** The harness's `webhook.*` partition count. */
const webhookPartitions = 4;

type Mode = 'ok' | 'fail';
/** An endpoint that answers 200 or `failure` by its mode; `accepted` holds the requests it answered 200. */
interface Endpoint { readonly receiver: WebhookReceiver; readonly accepted: RecordedRequest[]; mode: Mode }

async function endpoint(failure: ReplySpec): Promise<Endpoint> {
  const ep: { receiver: WebhookReceiver | null; accepted: RecordedRequest[]; mode: Mode } = { receiver: null, accepted: [], mode: 'ok' };
  ep.receiver = await WebhookReceiver.start(behaviours.custom((req) => {
    if (ep.mode === 'fail') return failure;
    ep.accepted.push(req);
    return { status: 200 };
  }));
  return ep as Endpoint;
}

interface Plan {
  readonly name: string;
  readonly source: SubscriptionSource;
  readonly contentType: Subscription['contentType'];
  readonly batching: Subscription['batching'];
  readonly vehicleFilter: readonly string[] | null;
  readonly failure: ReplySpec | null;
}

const plans: readonly Plan[] = [
  { name: 'gps json', source: { kind: 'gps' }, contentType: 'application/json', batching: { maxItems: 100, maxWaitMs: 1_000 }, vehicleFilter: null, failure: null },
  { name: 'gps form', source: { kind: 'gps' }, contentType: 'application/x-www-form-urlencoded', batching: { maxItems: 50, maxWaitMs: 500 }, vehicleFilter: null, failure: null },
  { name: 'gps 503', source: { kind: 'gps' }, contentType: 'application/json', batching: { maxItems: 100, maxWaitMs: 1_000 }, vehicleFilter: null, failure: { status: 503, body: 'down' } },
  { name: 'gps 429', source: { kind: 'gps' }, contentType: 'application/json', batching: { maxItems: 100, maxWaitMs: 1_000 }, vehicleFilter: null, failure: { status: 429, body: 'slow down', headers: { 'retry-after': '2' } } },
  { name: 'gps half fleet', source: { kind: 'gps' }, contentType: 'application/json', batching: { maxItems: 200, maxWaitMs: 2_000 }, vehicleFilter: vehicles.slice(0, 50), failure: null },
  { name: 'dtc', source: { kind: 'dtc' }, contentType: 'application/json', batching: { maxItems: 100, maxWaitMs: 1_000 }, vehicleFilter: null, failure: null },
  { name: 'events', source: { kind: 'event', eventTypes: [{ type: 'ignition_on' }, { type: 'speeding', threshold: 100, units: 'kmh' }] }, contentType: 'application/x-www-form-urlencoded', batching: { maxItems: 1, maxWaitMs: 0 }, vehicleFilter: null, failure: null },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One tick of telemetry: a GPS point per vehicle, a DTC for a tenth of them, an event for another tenth. */
function tickRecords(tick: number, counters: Map<string, number>): { gps: GpsPoint[]; dtc: Dtc[]; events: VehicleEvent[] } {
  const next = (key: string): number => {
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return n;
  };
  const time = Date.now();
  const gps = vehicles.map((vehicleId, v) => ({ vehicleId, accountId, time, lat: 52.5 + v / 1_000, lon: 13.4 + tick / 10_000, speedKmh: 40, headingDeg: 90, odometerKm: 1_000 + tick, ignition: true, seq: tick }));
  const dtc: Dtc[] = vehicles.filter((_, v) => (v + tick) % 10 === 0)
    .map((vehicleId) => ({ vehicleId, accountId, time, code: 'P0301', source: 'OBD_II', status: 'active', seq: next(`dtc/${vehicleId}`) }));
  const types = [['ignition_on', null], ['heartbeat', null], ['speeding', 120], ['speeding', 60]] as const;
  const events: VehicleEvent[] = vehicles.filter((_, v) => (v + tick) % 10 === 5).map((vehicleId) => {
    const [type, speedKmh] = types[tick % types.length] as (typeof types)[number];
    return { vehicleId, accountId, time, type, speedKmh, speedLimitKmh: speedKmh === null ? null : 90, seq: next(`event/${vehicleId}`) };
  });
  return { gps, dtc, events };
}

describe('dispatcher SIGKILLed while two GPS subscriptions are parked (child process, real stack)', () => {
  let h: DispatcherHarness;
  const endpoints: Endpoint[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({
      FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: '0.001',
      // Retry-After: 2 is honoured, not capped at the harness's 1 s.
      FLEETHOOK_DISPATCHER_MAX_RETRY_DELAY_MS: '5000',
      FLEETHOOK_DISPATCHER_LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(endpoints.map((e) => e.receiver.close()));
  });

  it('loses no item and keeps every vehicle\'s order at all 7 subscriptions', async () => {
    const subs: Subscription[] = [];
    for (const p of plans) {
      const ep = await endpoint(p.failure ?? { status: 200 });
      endpoints.push(ep);
      subs.push(await h.subscribe({
        // Both failing subscriptions on one partition (as in CI's one failure): one's drain re-reads the parked log while the other is still parked.
        ...(p.failure === null ? {} : { id: subscriptionIdOnPartition(0, webhookPartitions) }),
        url: ep.receiver.url, accountId, name: p.name, source: p.source, contentType: p.contentType, batching: p.batching,
        vehicleFilter: p.vehicleFilter === null ? null : { vehicleIds: p.vehicleFilter },
      }));
    }
    const processes: DispatcherProcess[] = [await h.startProcess()];
    const first = processes[0] as DispatcherProcess;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${first.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'dispatcher ready' });

    const expected = plans.map(() => [] as ExpectedItem[]);
    const counters = new Map<string, number>();
    let tick = 0;
    const control = (async () => {
      await waitFor(() => tick >= failFromTick, { timeoutMs: 60_000 });
      plans.forEach((p, i) => { if (p.failure !== null) (endpoints[i] as Endpoint).mode = 'fail'; });
      await waitFor(() => tick >= killAtTick, { timeoutMs: 60_000 });
      await h.kill(first, 'SIGKILL');
      processes.push(await h.startProcess());
      await waitFor(() => tick >= healAtTick, { timeoutMs: 60_000 });
      for (const e of endpoints) e.mode = 'ok';
    })();
    const startedAt = Date.now();
    for (tick = 1; tick <= ticks; tick++) {
      const records = tickRecords(tick, counters);
      await h.publish(records);
      const publishedAtMs = Date.now();
      plans.forEach((p, i) => {
        const list = expected[i] as ExpectedItem[];
        const inFilter = (v: string): boolean => p.vehicleFilter === null || p.vehicleFilter.includes(v);
        const add = (r: { vehicleId: string; seq?: number | null }): void => { if (inFilter(r.vehicleId)) list.push({ vehicleId: r.vehicleId, seq: r.seq as number, publishedAtMs }); };
        if (p.source.kind === 'gps') records.gps.forEach(add);
        if (p.source.kind === 'dtc') records.dtc.forEach(add);
        if (p.source.kind === 'event') records.events.filter((e) => e.type === 'ignition_on' || (e.type === 'speeding' && (e.speedKmh ?? 0) >= 100)).forEach(add);
      });
      await sleep(Math.max(0, startedAt + tick * tickMs - Date.now()));
    }
    await control;

    const parsed = (i: number, requests: readonly RecordedRequest[]): ParsedDelivery[] => requests.flatMap((r) => {
      const d = parseDelivery(r, (subs[i] as Subscription).signing.current);
      return d.kind === 'ok' ? [d.delivery] : [];
    });
    const delivered = (i: number): Set<string> => new Set(parsed(i, (endpoints[i] as Endpoint).accepted).flatMap((d) => d.items.map((x) => itemKey(x.vehicleId, x.seq))));
    // Generous: a fixed dispatcher drains in ~15 s, but this machine is shared; a failing run pays the wait.
    await waitFor(() => plans.every((_, i) => delivered(i).size >= (expected[i] as ExpectedItem[]).length), { timeoutMs: 150_000, intervalMs: 500, what: 'every item at every endpoint' })
      .catch(() => undefined);

    // How long each parked subscription's drain took after its head recovered (log lines of the restarted process).
    const drains = processes.flatMap((proc) => proc.output.join('').split('\n').filter((l) => l.includes('draining the backlog') || l.includes('backlog drained')));
    const sizes = plans.map((p, i) => {
      const got = parsed(i, (endpoints[i] as Endpoint).accepted);
      const items = got.reduce((n, d) => n + d.items.length, 0);
      return `${p.name}: ${got.length} requests, ${(items / Math.max(1, got.length)).toFixed(1)} items each`;
    });
    console.log(`drain log lines:\n${drains.map((l) => l.slice(0, 260)).join('\n')}\n${sizes.join('\n')}`);
    const problems: string[] = [];
    plans.forEach((p, i) => {
      const sub = subs[i] as Subscription;
      const ep = endpoints[i] as Endpoint;
      // DTC batches mix vehicles from different telemetry partitions: only per-vehicle order is defined here.
      const verdict = checkSubscription({
        subscriptionId: sub.id, orderScope: 'vehicle', expected: expected[i] as ExpectedItem[], uncertain: new Set(),
        accepted: parsed(i, ep.accepted), received: parsed(i, ep.receiver.requests), audited: new Set(),
      });
      if (verdict.missing.length > 0) problems.push(`${p.name} (${sub.id}): ${verdict.missing.length} of ${verdict.expected} items lost: ${summariseItems(verdict.missing, 6)}`);
      if (verdict.orderBreaks.length > 0) problems.push(`${p.name} (${sub.id}): order broken: ${verdict.orderBreaks.slice(0, 5).join(', ')}`);
      if (verdict.idChanges.length > 0) problems.push(`${p.name} (${sub.id}): repeats under a new webhook-id: ${verdict.idChanges.slice(0, 3).join(', ')}`);
      const unreadable = ep.receiver.requests.length - parsed(i, ep.receiver.requests).length;
      if (unreadable > 0) problems.push(`${p.name} (${sub.id}): ${unreadable} requests with an unreadable body`);
      if (verdict.badSignatures > 0) problems.push(`${p.name} (${sub.id}): ${verdict.badSignatures} bad signatures`);
    });
    // The restarted dispatcher must still run: a process that died mid-drain stops everything and logs little.
    const restarted = processes[1];
    if (restarted !== undefined && (restarted.child.exitCode !== null || restarted.child.signalCode !== null)) {
      const tail = restarted.output.join('').split('\n').filter((l) => l.trim() !== '').slice(-15).join('\n');
      problems.push(`dispatcher #2 exited before the end (code ${restarted.child.exitCode}, signal ${restarted.child.signalCode}); its last output:\n${tail}`);
    }
    // CRASH_TEST_POSTMORTEM=1 prints the post-mortem of a passing run too (to compare with a failing one).
    if (problems.length > 0 || process.env.CRASH_TEST_POSTMORTEM === '1') {
      const logs = processes.flatMap((proc, n) => proc.output.join('').split('\n').filter((l) => subs.some((s) => l.includes(s.id))).slice(-25).map((l) => `[dispatcher #${n + 1}] ${l}`));
      // Warnings and errors not naming a subscription (kafkajs, consumers, parking I/O) explain a stall.
      const trouble = processes.flatMap((proc, n) => proc.output.join('').split('\n').filter((l) => /"level":"(warn|error)"/.test(l) && !subs.some((s) => l.includes(s.id))).slice(-30).map((l) => `[dispatcher #${n + 1}] ${l.slice(0, 400)}`));
      console.log(`${problems.join('\n')}\n--- dispatcher log lines naming these subscriptions (last 25 per process; #1 SIGKILLed at t ≈ 20 s, #2 its restart):\n${logs.join('\n')}\n--- other warnings and errors (last 30 per process):\n${trouble.join('\n')}`);
      console.log(`--- webhook.parked of the failing subscriptions (did the undelivered items reach the backlog, and where?):\n${await parkedLog(h, subs.filter((_, i) => plans[i]?.failure !== null).map((sub) => sub.id))}`);
    }
    expect(problems).toEqual([]);
  }, 300_000);
});

/** Per subscription: its parked records in offset order, runs of items summarised by tick (seq), markers one per line. */
async function parkedLog(h: DispatcherHarness, subscriptionIds: readonly string[]): Promise<string> {
  const records = await readTopic(h.kafka, h.topics.get('webhook.parked').name).catch((err: unknown) => err);
  if (!Array.isArray(records)) return `could not read: ${String(records)}`;
  return subscriptionIds.map((id) => {
    const lines: string[] = [];
    let run: { from: string; to: string; items: number; minSeq: number; maxSeq: number; episode: string } | null = null;
    const endRun = (): void => {
      if (run !== null) lines.push(`  ${run.from}-${run.to}: ${run.items} items of ${run.episode}, seq ${run.minSeq}-${run.maxSeq}`);
      run = null;
    };
    for (const r of records.filter((x) => x.key === id).sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
      const decoded = decodeParkedRecord(r.value, r.headers as Record<string, Buffer>);
      if (decoded.kind === 'invalid') { endRun(); lines.push(`  ${r.offset}: invalid (${decoded.reason})`); continue; }
      const rec = decoded.record;
      if (rec.kind === 'item' || rec.kind === 'recovery-item') {
        const item = decodeDeliveryItem(rec.value);
        const seq = item.kind === 'item' ? item.item.seq ?? -1 : -1;
        if (run === null || run.episode !== rec.episodeId) { endRun(); run = { from: r.offset, to: r.offset, items: 0, minSeq: seq, maxSeq: seq, episode: rec.episodeId }; }
        run.to = r.offset;
        run.items++;
        run.minSeq = Math.min(run.minSeq, seq);
        run.maxSeq = Math.max(run.maxSeq, seq);
        continue;
      }
      endRun();
      if (rec.kind === 'progress') {
        // Consecutive progress markers (one per drain request) on one line: the first offset, how many, the last cursor.
        const last = lines.at(-1);
        const m = last === undefined ? null : /^ {2}(\d+)(?:-\d+)?: (\d+) progress markers/.exec(last);
        const count = m === null ? 1 : Number(m[2]) + 1;
        if (m !== null) lines.pop();
        lines.push(`  ${m === null ? r.offset : `${m[1]}-${r.offset}`}: ${count} progress markers, last cursor ${rec.cursor}, backlog ${rec.backlog}`);
        continue;
      }
      lines.push(`  ${r.offset}: ${JSON.stringify(rec).slice(0, 200)}`);
    }
    endRun();
    return `${id} (partition ${records.find((x) => x.key === id)?.partition ?? '?'}):\n${lines.join('\n')}`;
  }).join('\n');
}

