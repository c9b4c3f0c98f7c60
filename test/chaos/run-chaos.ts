import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterBrokers, clusterStatus, startCluster, stopCluster } from '../../stack/cluster.js';
import { decodeDeliveryItem } from '../../services/dispatcher/delivery-item.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { checkSubscription, itemKey, verdictClean } from '../helpers/delivery-invariants.js';
import type { ExpectedItem, SubscriptionVerdict } from '../helpers/delivery-invariants.js';
import { DispatcherHarness } from '../helpers/dispatcher-harness.js';
import ensureStack from '../helpers/ensure-stack.js';
import { FaultEndpoint } from '../helpers/fault-endpoint.js';
import { readTopic } from '../helpers/topic-reader.js';
import { parseDelivery } from '../helpers/webhook-delivery.js';
import type { ParsedDelivery } from '../helpers/webhook-delivery.js';
import { chaosUsage, parseChaosArgs } from './chaos-args.js';
import type { ChaosArgs } from './chaos-args.js';
import { ChaosFleet } from './chaos-fleet.js';
import type { PublishedRecord } from './chaos-fleet.js';
import { latencyTable, subscriptionTable, violationDetails } from './chaos-report.js';
import type { SubscriptionRow } from './chaos-report.js';
import { chaosSubscriptionPlans } from './chaos-subscriptions.js';
import type { ChaosSubscriptionPlan } from './chaos-subscriptions.js';
import { describeFault, planTimeline } from './chaos-timeline.js';
import { failoverFigures } from './failover-latency.js';
import type { LatencySample } from './failover-latency.js';
import { FaultInjector } from './fault-injector.js';
import { startPrivateRedis } from './private-redis.js';
import { SeededRandom } from './seeded-random.js';

// npm run chaos -- --seed N [--minutes M] [--cluster]: one seed → one reproducible fault
// timeline against 2 dispatcher child processes, then the end-of-run invariants per subscription.

const tickMs = 500;
const dispatcherSlots = 2;
const accountId = 'acc_chaos';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (text: string): void => void process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${text}\n`);

interface Endpointed { plan: ChaosSubscriptionPlan; endpoint: FaultEndpoint; sub: Subscription }

/** Parsed once per request: the drain loop re-checks every second. */
const parseCache = new WeakMap<FaultEndpoint['received'][number], ReturnType<typeof parseDelivery>>();

function parsedAll(e: Endpointed, requests: FaultEndpoint['received']): { ok: ParsedDelivery[]; unreadable: number } {
  const ok: ParsedDelivery[] = [];
  let unreadable = 0;
  for (const r of requests) {
    let p = parseCache.get(r);
    if (p === undefined) parseCache.set(r, (p = parseDelivery(r, e.sub.signing.current)));
    if (p.kind === 'ok') ok.push(p.delivery);
    else unreadable++;
  }
  return { ok, unreadable };
}

/** Keys of `webhook.audit` (or `webhook.deliveries`) items per subscription, in topic order. */
async function itemsOnTopic(h: DispatcherHarness, topicId: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const r of await readTopic(h.kafka, h.topics.get(topicId).name, 60_000)) {
    const d = decodeDeliveryItem(r.value);
    if (d.kind !== 'item' || d.item.seq === null) continue;
    const list = out.get(d.item.subscriptionId) ?? [];
    list.push(itemKey(d.item.vehicleId, d.item.seq));
    out.set(d.item.subscriptionId, list);
  }
  return out;
}

function evidenceFor(e: Endpointed, fleet: ChaosFleet, audited: ReadonlySet<string>, matched: readonly string[] | undefined, referenceOrder?: readonly string[]): SubscriptionVerdict {
  const expected: ExpectedItem[] = fleet.published.filter(e.plan.matches).map((r) => ({ vehicleId: r.vehicleId, seq: r.seq, publishedAtMs: r.publishedAtMs }));
  const uncertain = new Set(fleet.uncertain.filter(e.plan.matches).map((r) => itemKey(r.vehicleId, r.seq)));
  const gone = e.endpoint.replies.find((r) => r.status === 410);
  const received = parsedAll(e, e.endpoint.received);
  return checkSubscription({
    subscriptionId: e.sub.id, orderScope: e.plan.orderScope, expected, uncertain, audited,
    accepted: parsedAll(e, e.endpoint.accepted).ok, received: received.ok, referenceOrder, deactivatedAtMs: gone?.at ?? null,
    matched: gone === undefined || matched === undefined ? undefined : new Set(matched),
  });
}

async function run(args: ChaosArgs): Promise<number> {
  const runStartedAt = Date.now();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `fleethook-chaos-${args.seed}-`));
  const faultPhaseMs = Math.round(args.minutes * 60_000);
  const vehicles = Array.from({ length: args.vehicles }, (_, i) => `veh_x${String(i).padStart(4, '0')}`);
  const plans = chaosSubscriptionPlans(vehicles);
  const timeline = planTimeline({
    seed: args.seed, faultPhaseMs, dispatcherSlots, cluster: args.cluster,
    endpoints: plans.flatMap((p, index) => (p.role === 'faultable' ? [{ index, kind: p.kind }] : [])),
  }).filter((f) => args.faults === null || args.faults.includes(f.kind));
  const only = args.faults === null ? '' : ` (only ${args.faults.join(', ')})`;
  log(`seed ${args.seed}: ${timeline.length} faults${only} over ${args.minutes} min${args.cluster ? ' on the 3-broker cluster' : ''}; logs in ${runDir}`);
  for (const f of timeline) log(`  planned +${(f.atMs / 1000).toFixed(1)} s ${describeFault(f)}`);

  ensureStack();
  // A cluster this run started is stopped (and its data removed) at the end, as the cluster tests do.
  const clusterWasUp = args.cluster && (await clusterStatus()).every((c) => c.up);
  if (args.cluster) await startCluster();
  const redis = await startPrivateRedis();
  const h = await DispatcherHarness.create({
    FLEETHOOK_REDIS_URL: redis.url,
    // 7 days in ~2 minutes: a parked subscription is retried within seconds of its endpoint healing.
    FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: '0.0002',
    FLEETHOOK_DISPATCHER_REQUEST_TIMEOUT_MS: '2000',
    FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '6000',
    FLEETHOOK_DISPATCHER_MAX_RETRY_DELAY_MS: '5000',
    FLEETHOOK_DISPATCHER_SHUTDOWN_GRACE_MS: '3000',
    FLEETHOOK_DISPATCHER_LOG_LEVEL: 'info',
  }, args.cluster ? { brokers: clusterBrokers, replicationFactor: 3 } : {});
  const endpoints: Endpointed[] = [];
  let injector: FaultInjector | null = null;
  try {
    for (const plan of plans) {
      const endpoint = await FaultEndpoint.start();
      const sub = await h.subscribe({
        url: endpoint.url, accountId, name: plan.name, source: plan.source, contentType: plan.contentType, batching: plan.batching,
        vehicleFilter: plan.vehicleFilter === null ? null : { vehicleIds: plan.vehicleFilter },
      });
      endpoints.push({ plan, endpoint, sub });
    }
    const rnd = new SeededRandom(args.seed);
    const fleet = new ChaosFleet(rnd.fork('fleet'), accountId, vehicles, (b) => h.publish(b));
    injector = new FaultInjector(h, dispatcherSlots, endpoints.map((e) => e.endpoint), redis.url);
    await injector.startDispatchers();
    log('dispatchers ready; fault phase starts');

    const phaseStart = Date.now();
    injector.run(timeline);
    for (let tick = 1; Date.now() - phaseStart < faultPhaseMs; tick++) {
      await fleet.tick(injector.loadMultiplier);
      await sleep(Math.max(0, phaseStart + tick * tickMs - Date.now()));
    }
    log(`fault phase over: ${fleet.published.length} records acknowledged, ${fleet.uncertain.length} uncertain; healing`);
    await injector.heal();
    const publishedEnd = Date.now();
    log('healed; waiting until quiescent');

    const anyGone = (): boolean => endpoints.some((e) => e.endpoint.replies.some((r) => r.status === 410));
    let audits = new Map<string, string[]>();
    let matchedSoFar = new Map<string, string[]>();
    let lastAuditRead = 0;
    const drainDeadline = Date.now() + args.drainSeconds * 1_000;
    let verdicts: SubscriptionVerdict[] = [];
    let polls = 0;
    for (;;) {
      if (anyGone() && Date.now() - lastAuditRead > 5_000) {
        audits = await itemsOnTopic(h, 'webhook.audit');
        matchedSoFar = await itemsOnTopic(h, 'webhook.deliveries');
        lastAuditRead = Date.now();
      }
      verdicts = endpoints.map((e) => evidenceFor(e, fleet, new Set(audits.get(e.sub.id) ?? []), matchedSoFar.get(e.sub.id) ?? []));
      if (verdicts.every((v) => v.missing.length === 0) || Date.now() > drainDeadline) break;
      if (++polls % 15 === 0) log(`still missing: ${verdicts.filter((v) => v.missing.length > 0).map((v) => `${v.subscriptionId} ${v.missing.length}`).join(', ')}`);
      await sleep(1_000);
    }
    const quiescentAfterMs = Date.now() - publishedEnd;
    log(`${verdicts.every((v) => v.missing.length === 0) ? 'quiescent' : 'drain timeout'} after ${(quiescentAfterMs / 1000).toFixed(1)} s; settling 3 s for late repeats`);
    await sleep(3_000);
    audits = await itemsOnTopic(h, 'webhook.audit');
    const deliveries = await itemsOnTopic(h, 'webhook.deliveries');

    const rows: SubscriptionRow[] = endpoints.map((e) => {
      const onDeliveries = deliveries.get(e.sub.id) ?? [];
      const verdict = evidenceFor(e, fleet, new Set(audits.get(e.sub.id) ?? []), onDeliveries, e.plan.orderScope === 'subscription' ? onDeliveries : undefined);
      const logLines = verdictClean(verdict) ? [] : (injector?.processes ?? []).flatMap(({ slot, proc }) => proc.output.join('').split('\n')
        .filter((l) => l.includes(e.sub.id)).map((l) => `[dispatcher ${slot} pid ${String(proc.child.pid)}] ${l}`));
      return { name: e.plan.name, role: e.plan.role, kind: e.plan.kind, contentType: e.plan.contentType, verdict, logLines };
    });

    const samples: LatencySample[] = [];
    for (const e of endpoints.filter((x) => x.plan.role === 'control')) {
      const seen = new Set<string>();
      for (const d of parsedAll(e, e.endpoint.accepted).ok) {
        for (const item of d.items) {
          const key = itemKey(item.vehicleId, item.seq);
          if (seen.has(key)) continue;
          seen.add(key);
          samples.push({ recordTimeMs: item.recordTimeMs, receivedAt: d.receivedAt, maxWaitMs: e.plan.batching.maxWaitMs });
        }
      }
    }
    const figures = failoverFigures(samples, injector.stops.map((s) => ({
      kind: s.kind, atMs: s.atMs, label: `${s.kind === 'kill' ? 'SIGKILL' : 'SIGTERM'} dispatcher ${s.slot} at +${((s.atMs - phaseStart) / 1000).toFixed(1)} s`,
    })));

    for (const { slot, proc } of injector.processes) fs.writeFileSync(path.join(runDir, `dispatcher-${slot}-pid${String(proc.child.pid)}.log`), proc.output.join(''));
    fs.writeFileSync(path.join(runDir, 'timeline.json'), JSON.stringify({ seed: args.seed, timeline, events: injector.events }, null, 2));

    // Where a lost item got to: matched (on webhook.deliveries) or not even that.
    const publishedText = (subscriptionId: string, items: readonly ExpectedItem[]): string => {
      const times = items.map((i) => i.publishedAtMs - phaseStart).sort((a, b) => a - b);
      const matched = new Set(deliveries.get(subscriptionId) ?? []);
      const onDeliveries = items.filter((i) => matched.has(itemKey(i.vehicleId, i.seq))).length;
      return `published between +${((times[0] ?? 0) / 1000).toFixed(1)} s and +${((times[times.length - 1] ?? 0) / 1000).toFixed(1)} s of the fault phase; `
        + `${onDeliveries} of these ${items.length} are on webhook.deliveries (matched, then lost downstream)`;
    };
    const details = violationDetails(args.seed, rows, publishedText);
    const unreadable = endpoints.map((e) => ({ e, n: parsedAll(e, e.endpoint.received).unreadable })).filter((x) => x.n > 0)
      .map((x) => `seed ${args.seed}, ${x.e.plan.name} ${x.e.sub.id}: ${x.n} requests with an unreadable body`);
    const latencyViolations = figures.filter((f) => f.violation);
    const violations = details.length + unreadable.length + latencyViolations.length;

    const out: string[] = [
      '', `== chaos seed ${args.seed}${only} (${args.minutes} min fault phase, ${vehicles.length} vehicles, ${args.cluster ? '3-broker cluster' : 'single broker'}, topic prefix ${h.prefix}) ==`,
      'faults as executed (+s from the start of the fault phase):',
      ...injector.events.map((ev) => `  +${(ev.atMs / 1000).toFixed(1).padStart(5)} ${ev.text}`),
      ...injector.errors.map((err) => `  injector error: ${err}`),
      ...(fleet.publishErrors.length > 0 ? [`  ${fleet.publishErrors.length} publishes failed (items uncertain): ${fleet.publishErrors.slice(0, 3).join(' | ')}`] : []),
      '', subscriptionTable(rows), '', latencyTable(figures), '',
      `load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min) on ${os.cpus().length} cores; heartbeats miss under heavy load`,
      `published ${fleet.published.length} records (${fleet.uncertain.length} uncertain); quiescent ${(quiescentAfterMs / 1000).toFixed(1)} s after healing; run took ${((Date.now() - runStartedAt) / 1000).toFixed(0)} s; logs ${runDir}`,
    ];
    if (violations > 0) out.push('', `VIOLATIONS (${violations}):`, ...details, ...unreadable, ...latencyViolations.map((f) => `seed ${args.seed}, ${f.label}: judged ${f.judgedMs} ms over ${f.limit}`));
    else out.push('', `seed ${args.seed}: no violation`);
    process.stdout.write(`${out.join('\n')}\n`);
    return violations > 0 ? 1 : 0;
  } finally {
    await h.close().catch(() => undefined);
    await Promise.all(endpoints.map((e) => e.endpoint.close()));
    await redis.stop();
    if (args.cluster && !clusterWasUp) await stopCluster({ removeData: true });
  }
}

const parsed = parseChaosArgs(process.argv.slice(2));
if (parsed.kind === 'invalid') {
  process.stderr.write(`${parsed.problems.join('\n')}\n${chaosUsage}\n`);
  process.exit(2);
}
run(parsed.args).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`chaos run failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});
