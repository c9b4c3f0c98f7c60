import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterBrokers, clusterStatus, startCluster, stopCluster } from '../../stack/cluster.js';
import { acquireClusterLock } from '../helpers/cluster-lock.js';
import { itemKey, verdictClean } from '../helpers/delivery-invariants.js';
import type { ExpectedItem, SubscriptionVerdict } from '../helpers/delivery-invariants.js';
import { DispatcherHarness } from '../helpers/dispatcher-harness.js';
import { readTopic } from '../helpers/topic-reader.js';
import { stackEnv } from '../helpers/stack-env.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import ensureStack from '../helpers/ensure-stack.js';
import { FaultEndpoint } from '../helpers/fault-endpoint.js';
import { chaosUsage, parseChaosArgs } from './chaos-args.js';
import type { ChaosArgs } from './chaos-args.js';
import { itemsOnTopic, latencySamples, parsedAll, verdictFor } from './chaos-evidence.js';
import type { ChaosSubscription } from './chaos-evidence.js';
import { ChaosFleet } from './chaos-fleet.js';
import { latencyTable, subscriptionTable, violationDetails } from './chaos-report.js';
import type { SubscriptionRow } from './chaos-report.js';
import { chaosSubscriptionPlans } from './chaos-subscriptions.js';
import { describeFault, planTimeline } from './chaos-timeline.js';
import type { PlannedFault } from './chaos-timeline.js';
import { failoverFigures, killProfile } from './failover-latency.js';
import type { LatencyFigure } from './failover-latency.js';
import { FaultInjector } from './fault-injector.js';
import { startPrivateRedis } from './private-redis.js';
import type { PrivateRedis } from './private-redis.js';
import { SeededRandom } from './seeded-random.js';

// npm run chaos -- --seed N [--minutes M] [--cluster] [--faults kinds]: one seed → one
// reproducible fault timeline against 2 dispatcher child processes, then the end-of-run
// invariants per subscription and the failover latency figures (see README.md).

const tickMs = 500;
const dispatcherSlots = 2;
const accountId = 'acc_chaos';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (text: string): void => void process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${text}\n`);
const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** Everything one run holds. */
interface ChaosRun {
  readonly args: ChaosArgs;
  readonly runDir: string;
  readonly only: string;
  readonly timeline: readonly PlannedFault[];
  readonly redis: PrivateRedis;
  readonly h: DispatcherHarness;
  readonly subs: ChaosSubscription[];
  readonly fleet: ChaosFleet;
  readonly injector: FaultInjector;
}

function plan(args: ChaosArgs): { vehicles: string[]; timeline: PlannedFault[]; only: string } {
  const vehicles = Array.from({ length: args.vehicles }, (_, i) => `veh_x${String(i).padStart(4, '0')}`);
  const plans = chaosSubscriptionPlans(vehicles);
  const timeline = planTimeline({
    seed: args.seed, faultPhaseMs: Math.round(args.minutes * 60_000), dispatcherSlots, cluster: args.cluster,
    endpoints: plans.flatMap((p, index) => (p.role === 'faultable' ? [{ index, kind: p.kind }] : [])),
  }).filter((f) => args.faults === null || args.faults.includes(f.kind));
  return { vehicles, timeline, only: args.faults === null ? '' : ` (only ${args.faults.join(', ')})` };
}

/** A private Redis, a topic set of the run's own, the subscriptions on their endpoints, 2 dispatchers. */
async function setUp(args: ChaosArgs, runDir: string, vehicles: string[], timeline: PlannedFault[], only: string, redis: PrivateRedis): Promise<ChaosRun> {
  const h = await DispatcherHarness.create({
    FLEETHOOK_REDIS_URL: redis.url,
    // 7 days in ~2 minutes: a parked subscription is retried within seconds of its endpoint healing.
    FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: '0.0002',
    FLEETHOOK_DISPATCHER_REQUEST_TIMEOUT_MS: '2000',
    FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '6000',
    FLEETHOOK_DISPATCHER_MAX_RETRY_DELAY_MS: '5000',
    FLEETHOOK_DISPATCHER_SHUTDOWN_GRACE_MS: '3000',
    FLEETHOOK_DISPATCHER_LOG_LEVEL: process.env.CHAOS_DISPATCHER_LOG_LEVEL ?? 'info',
  }, args.cluster ? { brokers: clusterBrokers, replicationFactor: 3 } : {});
  const subs: ChaosSubscription[] = [];
  for (const p of chaosSubscriptionPlans(vehicles)) {
    const endpoint = await FaultEndpoint.start();
    const sub = await h.subscribe({
      url: endpoint.url, accountId, name: p.name, source: p.source, contentType: p.contentType, batching: p.batching,
      vehicleFilter: p.vehicleFilter === null ? null : { vehicleIds: p.vehicleFilter },
    });
    subs.push({ plan: p, endpoint, sub });
  }
  const fleet = new ChaosFleet(new SeededRandom(args.seed).fork('fleet'), accountId, vehicles, (b) => h.publish(b));
  const injector = new FaultInjector(h, dispatcherSlots, subs.map((s) => s.endpoint), redis.url);
  return { args, runDir, only, timeline, redis, h, subs, fleet, injector };
}

/** Publishes while the timeline runs, then heals every fault. Returns when the phase started. */
async function faultPhase(run: ChaosRun): Promise<number> {
  await run.injector.startDispatchers();
  log('dispatchers ready; fault phase starts');
  const phaseStart = Date.now();
  run.injector.run(run.timeline);
  for (let tick = 1; Date.now() - phaseStart < run.args.minutes * 60_000; tick++) {
    await run.fleet.tick(run.injector.loadMultiplier);
    await sleep(Math.max(0, phaseStart + tick * tickMs - Date.now()));
  }
  log(`fault phase over: ${run.fleet.published.length} records acknowledged, ${run.fleet.uncertain.length} uncertain; healing`);
  await run.injector.heal();
  return phaseStart;
}

/** Waits until nothing is missing (bounded), re-reading the audit when a subscription was deactivated. */
async function drain(run: ChaosRun): Promise<number> {
  const healedAt = Date.now();
  const anyGone = (): boolean => run.subs.some((s) => s.endpoint.replies.some((r) => r.status === 410));
  let audits = new Map<string, string[]>();
  let matched = new Map<string, string[]>();
  let lastRead = 0;
  for (let polls = 1; ; polls++) {
    if (anyGone() && Date.now() - lastRead > 5_000) {
      audits = await itemsOnTopic(run.h, 'webhook.audit');
      matched = await itemsOnTopic(run.h, 'webhook.deliveries');
      lastRead = Date.now();
    }
    const verdicts: SubscriptionVerdict[] = run.subs.map((s) => verdictFor(s, run.fleet, new Set(audits.get(s.sub.id) ?? []), matched.get(s.sub.id) ?? []));
    const missing = verdicts.filter((v) => v.missing.length > 0);
    if (missing.length === 0 || Date.now() > healedAt + run.args.drainSeconds * 1_000) {
      log(`${missing.length === 0 ? 'quiescent' : 'drain timeout'} after ${seconds(Date.now() - healedAt)} s; settling 3 s for late repeats`);
      await sleep(3_000);
      return Date.now() - 3_000 - healedAt;
    }
    if (polls % 15 === 0) log(`still missing: ${missing.map((v) => `${v.subscriptionId} ${v.missing.length}`).join(', ')}`);
    await sleep(1_000);
  }
}

/** Checks every subscription, measures failover latency, prints the table; returns the number of violations. */
async function report(run: ChaosRun, phaseStart: number, quiescentAfterMs: number, runStartedAt: number): Promise<number> {
  const { args, h, subs, fleet, injector } = run;
  const audits = await itemsOnTopic(h, 'webhook.audit');
  const deliveries = await itemsOnTopic(h, 'webhook.deliveries');
  const rows: SubscriptionRow[] = subs.map((s) => {
    const onDeliveries = deliveries.get(s.sub.id) ?? [];
    const verdict = verdictFor(s, fleet, new Set(audits.get(s.sub.id) ?? []), onDeliveries, s.plan.orderScope === 'subscription' ? onDeliveries : undefined);
    const logLines = verdictClean(verdict) ? [] : injector.processes.flatMap(({ slot, proc }) => proc.output.join('').split('\n')
      .filter((l) => l.includes(s.sub.id)).map((l) => `[dispatcher ${slot} pid ${String(proc.child.pid)}] ${l}`));
    return { name: s.plan.name, role: s.plan.role, kind: s.plan.kind, contentType: s.plan.contentType, verdict, logLines };
  });
  const samples = latencySamples(subs);
  const profiles = injector.stops.filter((s) => s.kind === 'kill')
    .map((s) => `worst latency by second of record time around SIGKILL dispatcher ${s.slot} at +${seconds(s.atMs - phaseStart)} s: ${killProfile(samples, s.atMs)}`);
  const figures = failoverFigures(samples, injector.stops.map((s) => ({
    kind: s.kind, atMs: s.atMs, label: `${s.kind === 'kill' ? 'SIGKILL' : 'SIGTERM'} dispatcher ${s.slot} at +${seconds(s.atMs - phaseStart)} s`,
  })), injector.bursts, injector.brokerStops);
  // Where lost items got to: matched (on webhook.deliveries) or not even that.
  const whereLost = (subscriptionId: string, items: readonly ExpectedItem[]): string => {
    const times = items.map((i) => i.publishedAtMs - phaseStart).sort((a, b) => a - b);
    const matched = new Set(deliveries.get(subscriptionId) ?? []);
    const onDeliveries = items.filter((i) => matched.has(itemKey(i.vehicleId, i.seq))).length;
    return `published between +${seconds(times[0] ?? 0)} s and +${seconds(times[times.length - 1] ?? 0)} s of the fault phase; `
      + `${onDeliveries} of these ${items.length} are on webhook.deliveries (matched, then lost downstream)`;
  };
  const details = violationDetails(args.seed, rows, whereLost);
  const unreadable = subs.map((s) => ({ s, n: parsedAll(s, s.endpoint.received).unreadable })).filter((x) => x.n > 0)
    .map((x) => `seed ${args.seed}, ${x.s.plan.name} ${x.s.sub.id}: ${x.n} requests with an unreadable body`);
  const slow = figures.filter((f) => f.violation).map((f) => `seed ${args.seed}, ${f.label}: judged ${f.judgedMs} ms over ${f.limit}`);
  const violations = details.length + unreadable.length + (args.latencyAdvisory ? 0 : slow.length);
  const out: string[] = [
    '', `== chaos seed ${args.seed}${run.only} (${args.minutes} min fault phase, ${args.vehicles} vehicles, ${args.cluster ? '3-broker cluster' : 'single broker'}, topic prefix ${h.prefix}) ==`,
    'faults as executed (+s from the start of the fault phase):',
    ...injector.events.map((ev) => `  +${seconds(ev.atMs).padStart(5)} ${ev.text}`),
    ...injector.errors.map((err) => `  injector error: ${err}`),
    ...(fleet.publishErrors.length > 0 ? [`  ${fleet.publishErrors.length} publishes failed (items uncertain): ${fleet.publishErrors.slice(0, 3).join(' | ')}`] : []),
    '', subscriptionTable(rows), '', latencyTable(figures), ...profiles, '',
    `load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min) on ${os.cpus().length} cores; heartbeats miss under heavy load`,
    `published ${fleet.published.length} records (${fleet.uncertain.length} uncertain); quiescent ${seconds(quiescentAfterMs)} s after healing; run took ${seconds(Date.now() - runStartedAt)} s; logs ${run.runDir}`,
    ...(violations > 0 ? ['', `VIOLATIONS (${violations}):`, ...details, ...unreadable, ...(args.latencyAdvisory ? [] : slow)] : ['', `seed ${args.seed}: no violation`]),
    ...(args.latencyAdvisory && slow.length > 0 ? ['', 'failover latency over its limit (--latency-advisory: printed, not counted):', ...slow] : []),
    ...(rows.some((r) => r.verdict.missing.length > 0) ? [`(lost = not delivered nor audited ${args.drainSeconds} s after healing: lost, or stuck; the "still missing" lines show whether it moved)`] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  process.stdout.write(`${summaryLine({ args, faults: injector.events.length, records: fleet.published.length, rows, figures, violations, quiescentAfterMs, runMs: Date.now() - runStartedAt })}\n`);
  return violations;
}

/** One line per seed for sweeps (test/chaos/sweep.sh collects them into a table): `chaos-summary k=v …`. */
function summaryLine(r: { args: ChaosArgs; faults: number; records: number; rows: readonly SubscriptionRow[]; figures: readonly LatencyFigure[]; violations: number; quiescentAfterMs: number; runMs: number }): string {
  const worst = (kind: string): string => {
    const rows = r.figures.filter((f) => f.label.startsWith(kind) && f.samples > 0);
    if (rows.length === 0) return '-';
    return `${(Math.max(...rows.map((f) => f.judgedMs)) / 1000).toFixed(2)}${rows.some((f) => f.overloaded) ? '(overloaded)' : rows.some((f) => f.loadBurst) ? '(burst)' : rows.some((f) => f.brokerStop) ? '(broker stop)' : ''}`;
  };
  const sum = (f: (v: SubscriptionVerdict) => number): number => r.rows.reduce((n, row) => n + f(row.verdict), 0);
  return ['chaos-summary', `seed=${r.args.seed}`, `minutes=${r.args.minutes}`, `fault_events=${r.faults}`, `records=${r.records}`,
    `delivered=${sum((v) => v.delivered)}`, `repeats=${sum((v) => v.repeats)}`, `lost=${sum((v) => v.missing.length)}`, `order=${sum((v) => v.orderBreaks.length)}`,
    `idchg=${sum((v) => v.idChanges.length)}`, `badsig=${sum((v) => v.badSignatures)}`, `calm_p99_s=${((r.figures[1]?.p99Ms ?? Number.NaN) / 1000).toFixed(2)}`, `kill_p99_s=${worst('SIGKILL')}`, `term_excess_p99_s=${worst('SIGTERM')}`,
    `violations=${r.violations}`, `quiescent_s=${seconds(r.quiescentAfterMs)}`, `run_s=${seconds(r.runMs)}`].join(' ');
}

/** The parking markers (not the items' bodies) of a run with violations, for the post-mortem: the topics are deleted at the end. */
async function keepParkingLog(run: ChaosRun): Promise<void> {
  const lines: string[] = [];
  for (const r of await readTopic(run.h.kafka, run.h.topics.get('webhook.parked').name, 60_000)) {
    const headers = Object.entries(r.headers).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    const body = r.value === null ? '' : r.value.toString('utf8');
    const isItem = String(r.headers['fleethook-parked-kind'] ?? '') === 'item';
    lines.push(`${r.partition}@${r.offset} ${r.key ?? ''} ${headers}${isItem ? '' : ` ${body.slice(0, 300)}`}`);
  }
  fs.writeFileSync(path.join(run.runDir, 'parked.txt'), `${lines.join('\n')}\n`);
}

/**
 * Every request each endpoint got (time from the fault phase's start, answer, webhook-id,
 * items as vehicle:seq) and the request intents, for the post-mortem of a run with violations.
 */
async function keepRequestLog(run: ChaosRun, phaseStart: number): Promise<void> {
  const lines: string[] = [];
  for (const s of run.subs) {
    const accepted = new Set(s.endpoint.accepted);
    lines.push(`== ${s.plan.name} ${s.sub.id}`);
    for (const r of s.endpoint.received) {
      const p = parsedAll(s, [r]).ok[0];
      const items = p === undefined ? 'unreadable' : p.items.map((i) => `${i.vehicleId}:${i.seq}`).join(' ');
      lines.push(`+${seconds((p?.receivedAt ?? phaseStart) - phaseStart)} ${accepted.has(r) ? 'accepted' : 'refused '} ${p?.webhookId ?? '?'} ${items}`);
    }
  }
  fs.writeFileSync(path.join(run.runDir, 'requests.txt'), `${lines.join('\n')}\n`);
  const intents: string[] = [];
  for (const r of await readTopic(run.h.kafka, run.h.topics.get('webhook.intents').name, 60_000)) {
    const headers = Object.entries(r.headers).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    intents.push(`${r.partition}@${r.offset} ${r.key ?? ''} ${headers} ${r.value === null ? 'null' : r.value.toString('utf8').slice(0, 600)}`);
  }
  fs.writeFileSync(path.join(run.runDir, 'intents.txt'), `${intents.join('\n')}\n`);
}

/** Where each published record sits on its telemetry topic (partition@offset kind vehicle:seq): tells broker loss from the match stage skipping. */
async function keepTelemetryLog(run: ChaosRun): Promise<void> {
  const registry = new SchemaRegistryClient({ url: stackEnv.registryUrl });
  const lines: string[] = [];
  for (const id of ['telemetry.gps', 'telemetry.dtc', 'telemetry.events'] as const) {
    for (const r of await readTopic(run.h.kafka, run.h.topics.get(id).name, 60_000)) {
      const value = r.value === null ? null : await registry.decode(r.value).catch(() => null);
      const { vehicleId, seq } = (value ?? {}) as { vehicleId?: unknown; seq?: unknown };
      lines.push(`${id} ${r.partition}@${r.offset} ${String(vehicleId)}:${String(seq)}`);
    }
  }
  fs.writeFileSync(path.join(run.runDir, 'telemetry.txt'), `${lines.join('\n')}\n`);
}

function keepLogs(run: ChaosRun): void {
  for (const { slot, proc } of run.injector.processes) fs.writeFileSync(path.join(run.runDir, `dispatcher-${slot}-pid${String(proc.child.pid)}.log`), proc.output.join(''));
  fs.writeFileSync(path.join(run.runDir, 'timeline.json'), JSON.stringify({ seed: run.args.seed, timeline: run.timeline, events: run.injector.events }, null, 2));
}

async function main(args: ChaosArgs): Promise<number> {
  const runStartedAt = Date.now();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `fleethook-chaos-${args.seed}-`));
  const { vehicles, timeline, only } = plan(args);
  log(`seed ${args.seed}: ${timeline.length} faults${only} over ${args.minutes} min${args.cluster ? ' on the 3-broker cluster' : ''}; logs in ${runDir}`);
  for (const f of timeline) log(`  planned +${seconds(f.atMs)} s ${describeFault(f)}`);
  ensureStack();
  // A cluster this run started is stopped (and its data removed) at the end, as the cluster tests do.
  const releaseCluster = args.cluster ? await acquireClusterLock(`chaos seed ${args.seed}`) : () => undefined;
  const clusterWasUp = args.cluster && (await clusterStatus()).every((c) => c.up);
  if (args.cluster) await startCluster();
  const redis = await startPrivateRedis();
  let run: ChaosRun | null = null;
  try {
    run = await setUp(args, runDir, vehicles, timeline, only, redis);
    const phaseStart = await faultPhase(run);
    const quiescentAfterMs = await drain(run);
    keepLogs(run);
    const violations = await report(run, phaseStart, quiescentAfterMs, runStartedAt);
    if (violations > 0) await Promise.all([keepParkingLog(run), keepRequestLog(run, phaseStart), keepTelemetryLog(run)]);
    return violations > 0 ? 1 : 0;
  } finally {
    await run?.h.close().catch(() => undefined);
    await Promise.all((run?.subs ?? []).map((s) => s.endpoint.close()));
    await redis.stop();
    if (args.cluster && !clusterWasUp) await stopCluster({ removeData: true });
    releaseCluster();
  }
}

const parsed = parseChaosArgs(process.argv.slice(2));
if (parsed.kind === 'invalid') {
  process.stderr.write(`${parsed.problems.join('\n')}\n${chaosUsage}\n`);
  process.exit(2);
}
main(parsed.args).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`chaos run failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});
