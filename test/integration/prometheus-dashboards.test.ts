import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminApp } from '../../services/admin-api/admin-app.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadConfig as loadAdminConfig } from '../../services/admin-api/config.js';
import { RedisDeliveryStatusSource } from '../../services/admin-api/redis-delivery-status-source.js';
import { startAlerterApp } from '../../services/alerter/alerter-app.js';
import type { AlerterApp } from '../../services/alerter/alerter-app.js';
import { loadConfig as loadAlerterConfig } from '../../services/alerter/config.js';
import { createSmtpMailer } from '../../services/alerter/smtp-mailer.js';
import { loadConfig as loadDispatcherConfig } from '../../services/dispatcher/config.js';
import { startDispatcherApp } from '../../services/dispatcher/dispatcher-app.js';
import type { DispatcherApp } from '../../services/dispatcher/dispatcher-app.js';
import { createLogger } from '../../services/shared/logger.js';
import { ensureRunning, stopComponent } from '../../stack/component-runner.js';
import { prometheusComponent } from '../../stack/prometheus-component.js';
import { resolveStackPaths } from '../../stack/stack-paths.js';
import type { StackPaths } from '../../stack/stack-paths.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { stackEnv } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';

// The dashboards against a real Prometheus (the stack's optional component, as
// `stack:up -- --with-prometheus` starts it) scraping a real pipeline: a dispatcher, the
// admin API and the alerter in-process on the real stack, a real receiver that fails for
// a while (parking, retries, alert e-mails, a drain) and a simulated fleet. Every PromQL
// expression of every panel must return data: a renamed metric, a wrong label or a
// selector that matches nothing shows up here, not as an empty panel in production.

const root = path.resolve(import.meta.dirname, '../..');
const scrapeIntervalS = 1;
/** What `$__rate_interval` stands for: at least 4 scrapes, as Grafana computes it. */
const rateInterval = '15s';

interface PanelQuery { readonly dashboard: string; readonly panel: string; readonly expr: string }
interface Panel { id: number; type: string; title: string; targets?: { refId: string; expr: string }[]; panels?: Panel[] }
interface Dashboard { panels: Panel[]; templating: { list: { name: string; type: string; query?: unknown }[] } }

function dashboards(): { file: string; dashboard: Dashboard }[] {
  const dir = path.join(root, 'grafana/dashboards');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Dashboard }));
}

/** Grafana's variables as the test runs them: every job and instance, a 15 s rate window. */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$job', '.*').replaceAll('$instance', '.*');
}

function panelQueries(): PanelQuery[] {
  return dashboards().flatMap(({ file, dashboard }) =>
    dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ dashboard: file, panel: `${p.id} "${p.title}" ${t.refId}`, expr: substitute(t.expr) }))));
}

/** The selector inside each `label_values(selector, label)` variable. */
function variableSelectors(): PanelQuery[] {
  return dashboards().flatMap(({ file, dashboard }) => dashboard.templating.list.filter((v) => v.type === 'query').map((v) => {
    const query = (v.query as { query: string }).query;
    return { dashboard: file, panel: `variable ${v.name}`, expr: substitute(/^label_values\((.*),\s*\w+\)$/.exec(query)![1]!) };
  }));
}

interface Sample { metric: Record<string, string>; value: [number, string] }
type QueryResult = { kind: 'ok'; samples: Sample[] } | { kind: 'error'; status: number; error: string };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Grafana dashboards against a real Prometheus scraping a running pipeline', () => {
  let home: string;
  let paths: StackPaths;
  let prometheusUrl: string;
  let harness: DispatcherHarness;
  let dispatcher: DispatcherApp;
  let admin: AdminApp;
  let alerter: AlerterApp;
  let healthy: WebhookReceiver;
  let flaky: WebhookReceiver;
  let adminRedis: Redis;
  let load: NodeJS.Timeout | undefined;
  let seq = 0;

  async function query(expr: string, atS?: number): Promise<QueryResult> {
    const url = new URL('/api/v1/query', prometheusUrl);
    url.searchParams.set('query', expr);
    if (atS !== undefined) url.searchParams.set('time', String(atS));
    const res = await fetch(url);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
    if (body.status !== 'success') return { kind: 'error', status: res.status, error: body.error ?? '?' };
    return { kind: 'ok', samples: body.data?.resultType === 'vector' ? body.data.result : [] };
  }

  /** Why an expression does not count as returning data, or null when it does. */
  async function noData(expr: string, atS: number): Promise<string | null> {
    const r = await query(expr, atS);
    if (r.kind === 'error') return `error ${r.status}: ${r.error}`;
    if (r.samples.length === 0) return 'no series';
    if (!r.samples.some((s) => Number.isFinite(Number(s.value[1])))) return `only NaN/Inf (${r.samples.length} series)`;
    return null;
  }

  async function value(expr: string): Promise<number> {
    const r = await query(expr);
    if (r.kind === 'error' || r.samples.length === 0) return Number.NaN;
    return Number(r.samples[0]!.value[1]);
  }

  beforeAll(async () => {
    harness = await DispatcherHarness.create({
      // The 7-day schedule in about 100 minutes: the first tier (5 min) waits 3 s.
      FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: '0.01',
    });
    healthy = await WebhookReceiver.start(behaviours.ok());
    flaky = await WebhookReceiver.start(behaviours.status(503, 'maintenance'));
    // As main.ts starts it: with the process metrics (prefixed) the dashboard's Process row reads.
    dispatcher = await startDispatcherApp({
      config: loadDispatcherConfig(harness.env), kafka: kafkaClientOf(harness.kafka), defaultMetrics: true,
      logger: createLogger('dispatcher', { level: 'error', write: (l) => harness.logLines.push(l) }),
    });
    harness.apps.push(dispatcher);

    // The admin API on the harness's topics, with unprefixed default metrics as its main.ts has.
    const adminRegistry = new Registry();
    collectDefaultMetrics({ register: adminRegistry });
    const adminConfig = loadAdminConfig({
      ...harness.env, FLEETHOOK_ADMIN_HOST: '127.0.0.1', FLEETHOOK_ADMIN_PORT: '0', FLEETHOOK_ADMIN_OPERATOR_KEY: 'operator-key-0123456789abcdef', FLEETHOOK_ADMIN_ALLOW_HTTP: 'true',
    });
    const adminLogger = createLogger('admin-api', { level: 'error', write: () => undefined });
    adminRedis = new Redis(stackEnv.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
    admin = await startAdminApp({
      config: adminConfig, kafka: kafkaClientOf(harness.kafka), logger: adminLogger, metricsRegistry: adminRegistry,
      statusSource: new RedisDeliveryStatusSource(adminRedis, adminConfig.redisKeyPrefix, adminLogger),
    });

    const alerterConfig = loadAlerterConfig({
      FLEETHOOK_KAFKA_BROKERS: harness.env.FLEETHOOK_KAFKA_BROKERS, FLEETHOOK_REDIS_URL: stackEnv.redisUrl, FLEETHOOK_REDIS_KEY_PREFIX: harness.env.FLEETHOOK_REDIS_KEY_PREFIX,
      FLEETHOOK_TOPIC_PREFIX: harness.prefix, FLEETHOOK_ALERTER_GROUP_ID: `${harness.prefix}alerter`, FLEETHOOK_ALERTER_HOST: '127.0.0.1', FLEETHOOK_ALERTER_PORT: '0',
      FLEETHOOK_ALERTER_SMTP_PORT: '11025', FLEETHOOK_ALERTER_RETRY_MIN_MS: '200', FLEETHOOK_ALERTER_RETRY_MAX_MS: '1000', FLEETHOOK_ALERTER_SESSION_TIMEOUT_MS: '8000',
      FLEETHOOK_ALERTER_SHUTDOWN_GRACE_MS: '1000', FLEETHOOK_ALERTER_LOG_LEVEL: 'error',
      // The harness writes subscriptions straight to the catalogue topic (no address was ever asked to confirm).
      FLEETHOOK_ALERTER_REQUIRE_CONFIRMATION: 'false',
    });
    alerter = await startAlerterApp({
      config: alerterConfig, kafka: kafkaClientOf(harness.kafka), mailer: createSmtpMailer(alerterConfig.smtp), defaultMetrics: true,
      logger: createLogger('alerter', { level: 'error', write: () => undefined }),
    });

    // Prometheus as the stack starts it, in a home of its own, scraping these three.
    home = mkdtempSync(path.join(tmpdir(), 'fleethook-prometheus-'));
    paths = resolveStackPaths(home);
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const component = prometheusComponent({
      paths, host: '127.0.0.1', port, scrapeIntervalS,
      targets: [
        { job: 'fleethook-dispatcher', address: `127.0.0.1:${dispatcher.port}` },
        { job: 'fleethook-admin-api', address: `127.0.0.1:${admin.port}` },
        { job: 'fleethook-alerter', address: `127.0.0.1:${alerter.port}` },
      ],
    });
    await ensureRunning(paths.run, component);
    await waitFor(async () => (await query('sum(up)')).kind === 'ok' && (await value('sum(up)')) === 3, { timeoutMs: 30_000, intervalMs: 500, what: 'Prometheus scraping all three services' });
  }, 180_000);

  afterAll(async () => {
    clearInterval(load);
    if (paths !== undefined) await stopComponent(paths.run, 'prometheus');
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
    await alerter?.close();
    await admin?.close();
    await harness?.close();
    await healthy?.close();
    await flaky?.close();
    if (harness !== undefined) {
      const kafkaAdmin = harness.kafka.admin();
      await kafkaAdmin.connect();
      await kafkaAdmin.deleteGroups(['', '-match', '-retry'].map((s) => `${harness.prefix}dispatcher${s}`).concat(`${harness.prefix}alerter`, `${harness.prefix}alerter-confirmations`)).catch(() => undefined);
      await kafkaAdmin.disconnect();
      const keys = await adminRedis.keys(`${harness.env.FLEETHOOK_REDIS_KEY_PREFIX}*`);
      if (keys.length > 0) await adminRedis.del(...keys);
    }
    adminRedis?.disconnect();
  }, 120_000);

  it('returns data for every panel and variable of every dashboard, and every alerting rule evaluates', async () => {
    const address = (local: string) => `${local}-${harness.prefix.slice(0, -1)}@example.test`;
    await harness.subscribe({ url: healthy.url, name: 'healthy', batching: { maxItems: 50, maxWaitMs: 200 } });
    // Parked at once, alerts to a real mailbox and to one the SMTP sink rejects (550).
    await harness.subscribe({ url: flaky.url, name: 'flaky', batching: { maxItems: 50, maxWaitMs: 200 }, alertEmails: [address('ops'), address('reject')] });

    // A simulated fleet: 10 vehicles, one point each per second; and one undecodable record.
    const vehicles = Array.from({ length: 10 }, (_, i) => `veh_p${i}`);
    // The admin API is called all along too (with a bad key each time: 401), so its rate windows hold data when queried.
    const api = (key?: string) => fetch(`http://127.0.0.1:${admin.port}/v1/subscriptions`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } }).then((r) => r.body?.cancel());
    const tick = () => {
      void harness.publish({ gps: vehicles.map((v) => gpsPoint(v, ++seq)) }).catch(() => undefined);
      void Promise.all([api('operator-key-0123456789abcdef'), api('wrong-key-0123456789abcdef')]).catch(() => undefined);
    };
    tick();
    load = setInterval(tick, 1_000);
    await harness.publishRaw('telemetry.gps', 'veh_poison', Buffer.from('not avro'));

    // Admin API traffic, including bad requests: no key (401) and an unknown route.
    for (let i = 0; i < 5; i++) {
      await api();
      await fetch(`http://127.0.0.1:${admin.port}/v1/nothing-here`).then((r) => r.body?.cancel());
    }

    // Parked, retried, e-mailed; then the endpoint recovers and the backlog drains.
    await waitFor(async () => (await value('sum(fleethook_dispatcher_parking_episodes_total)')) >= 1, { timeoutMs: 30_000, intervalMs: 500, what: 'a parking episode' });
    await waitFor(async () => (await value('sum(fleethook_alerter_emails_sent_total)')) >= 1, { timeoutMs: 30_000, intervalMs: 500, what: 'an alert e-mail' });
    await waitFor(async () => (await value('sum(fleethook_dispatcher_head_retries_total)')) >= 1, { timeoutMs: 30_000, intervalMs: 500, what: 'a head retry' });
    flaky.behave(behaviours.ok());
    await waitFor(async () => (await value('sum(fleethook_dispatcher_items_drained_total)')) >= 1, { timeoutMs: 45_000, intervalMs: 500, what: 'the backlog drained' });
    // Lag is read every 10 s; both a rate window and the lag need a few scrapes after the drain.
    await waitFor(async () => (await query('fleethook_dispatcher_consumer_lag')).kind === 'ok' && (await value('count(count by (group) (fleethook_dispatcher_consumer_lag))')) === 3, { timeoutMs: 30_000, intervalMs: 1_000, what: 'consumer lag of the three dispatcher groups' });
    await waitFor(async () => (await value('count(fleethook_alerter_consumer_lag)')) >= 1, { timeoutMs: 30_000, intervalMs: 1_000, what: 'the alerter group\u2019s consumer lag' });

    const atS = Date.now() / 1_000;
    const queries = [...panelQueries(), ...variableSelectors()];
    expect(queries.length).toBeGreaterThan(60);
    const problems: string[] = [];
    for (const q of queries) {
      const why = await noData(q.expr, atS);
      if (why !== null) problems.push(`${q.dashboard} ${q.panel}: ${why}\n    ${q.expr}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);

    // What the load must have produced, not merely series at 0.
    expect(await value('sum(fleethook_dispatcher_items_delivered_total)')).toBeGreaterThan(0);
    expect(await value('sum(fleethook_dispatcher_records_dead_lettered_total)')).toBe(1);
    expect(await value('sum(fleethook_dispatcher_deliveries_total{outcome!="delivered"})')).toBeGreaterThanOrEqual(4);
    expect(await value('sum(fleethook_alerter_emails_failed_total{reason="rejected"})')).toBeGreaterThanOrEqual(1);
    expect(await value('sum(fleethook_admin_http_requests_total{status_class="4xx"})')).toBeGreaterThanOrEqual(10);
    const groups = (await query('count by (group) (fleethook_dispatcher_consumer_lag)'));
    expect(groups.kind === 'ok' ? groups.samples.map((s) => s.metric.group).sort() : []).toEqual(
      [`${harness.prefix}dispatcher`, `${harness.prefix}dispatcher-match`, `${harness.prefix}dispatcher-retry`].sort(),
    );
    expect(await value('count(fleethook_dispatcher_backlog_items)')).toBe(3);
    // While the flaky endpoint was parked, its backlog and its age showed.
    expect(await value('max_over_time(sum(fleethook_dispatcher_backlog_items{phase="parked"})[5m:1s])')).toBeGreaterThan(0);
    expect(await value('max_over_time(max(fleethook_dispatcher_oldest_parked_seconds)[5m:1s])')).toBeGreaterThan(0);

    // Every rule of grafana/alerts loaded and evaluated without error against this data.
    const rules = (await (await fetch(new URL('/api/v1/rules', prometheusUrl))).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name)).toEqual(expect.arrayContaining(['FleethookDispatcherDown', 'FleethookConsumerLagGrowing', 'FleethookSubscriptionParkedTooLong', 'FleethookAlerterSmtpFailing']));
    expect(loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  }, 240_000);

  it('reports a misspelt metric, a label that matches nothing and invalid PromQL (bad input)', async () => {
    const atS = Date.now() / 1_000;
    expect(await noData('sum(rate(fleethook_dispatcher_items_delivered_totl[15s]))', atS)).toBe('no series');
    expect(await noData('fleethook_dispatcher_backlog_items{phase="lost"}', atS)).toBe('no series');
    expect(await noData('sum(rate(fleethook_dispatcher_items_delivered_total[15s]', atS)).toMatch(/^error 400: .*parse error/);
    expect(await noData('histogram_quantile(0.99, sum by (le) (rate(fleethook_dispatcher_end_to_end_latency_seconds_bucket{kind="none"}[15s]))) or vector(NaN)', atS)).toMatch(/only NaN/);
  });
});
