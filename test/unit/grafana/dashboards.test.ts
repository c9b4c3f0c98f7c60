import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createAdminMetrics } from '../../../services/admin-api/admin-metrics.js';
import { createAlerterMetrics } from '../../../services/alerter/alerter-metrics.js';
import { dispatcherDefaults } from '../../../services/dispatcher/config.js';
import { createDispatcherMetrics } from '../../../services/dispatcher/dispatcher-metrics.js';
import { limits } from '../../../services/shared/subscriptions/subscription-types.js';

// The dashboards may only query what the services' registries declare, so renaming a
// metric in code breaks this test instead of silently blanking a panel in production.

const root = path.resolve(import.meta.dirname, '../../..');
const grafanaDir = path.join(root, 'grafana');
const dashboardsDir = path.join(grafanaDir, 'dashboards');
const schemaVersion = 41;
const datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

/** Series Prometheus adds to every scrape itself; no service declares them. */
const scrapeSeries = new Map<string, MetricKind>([['up', 'gauge']]);

type MetricKind = 'counter' | 'gauge';

/** Each dashboard file and the registry its service serves on /metrics, built as its main.ts builds it. */
const registries: Record<string, () => Registry> = {
  'fleethook-dispatcher.json': () => createDispatcherMetrics({ defaultMetrics: true }).registry,
  'fleethook-alerter.json': () => createAlerterMetrics({ defaultMetrics: true }).registry,
  // admin-api/main.ts: collectDefaultMetrics() on prom-client's global registry (no prefix), passed to the app.
  'fleethook-admin-api.json': () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    return createAdminMetrics(registry).registry;
  },
};

/** Exposition names → whether they only go up (rate/increase apply) or are gauges. */
async function exposedSeries(registry: Registry): Promise<Map<string, MetricKind>> {
  const series = new Map(scrapeSeries);
  for (const metric of await registry.getMetricsAsJSON()) {
    const type = String(metric.type);
    if (type === 'counter') series.set(metric.name, 'counter');
    else if (type === 'gauge') series.set(metric.name, 'gauge');
    else if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) series.set(`${metric.name}${s}`, 'counter');
    else if (type === 'summary') {
      series.set(metric.name, 'gauge');
      for (const s of ['_sum', '_count']) series.set(`${metric.name}${s}`, 'counter');
    } else throw new Error(`${metric.name}: unexpected metric type ${type}`);
  }
  return series;
}

interface Target { refId?: string; expr?: string; datasource?: unknown }
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: unknown;
  panels?: Panel[];
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps?: { color: string; value: number | null }[] } } };
}
interface Variable { name: string; type: string; query?: unknown; definition?: string; datasource?: unknown }
interface Dashboard { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Variable[] } }

const dashboardFiles = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort();
const dashboards = dashboardFiles.map((file) => ({
  file,
  dashboard: JSON.parse(readFileSync(path.join(dashboardsDir, file), 'utf8')) as Dashboard,
}));

/** Every panel, including those inside collapsed rows. */
function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}
const queryPanels = (d: Dashboard) => allPanels(d).filter((p) => p.type !== 'row');

const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * Metric names a PromQL expression selects: strings, label matchers, ranges, label lists
 * and Grafana variables are blanked; what remains that is not a function call, keyword
 * or number is a metric name.
 */
function metricNames(expr: string): string[] {
  const bare = blank(expr);
  const names: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const after = bare.slice(m.index + m[0].length);
    if (/^\s*\(/.test(after) || promqlWords.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

function blank(expr: string): string {
  return expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/(^|[^\w:])\d+(\.\d+)?(e[+-]?\d+)?[a-z]*/gi, '$1 ');
}

/** Metrics read through rate()/irate()/increase() (the argument's selector). */
function ratedNames(expr: string): string[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, ' ');
  return [...noStrings.matchAll(/\b(?:rate|irate|increase)\s*\(\s*([a-zA-Z_:][\w:]*)/g)].map((m) => m[1]!);
}

/** `label_values(selector, label)` → the selector's metric names. */
function variableMetricNames(v: Variable): string[] {
  const query = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query ?? '';
  const match = /^label_values\((.*),\s*\w+\)$/.exec(query.trim());
  if (!match) throw new Error(`variable ${v.name}: unsupported query "${query}"`);
  return metricNames(match[1]!);
}

function thresholdValues(panel: Panel): number[] {
  return (panel.fieldConfig?.defaults?.thresholds?.steps ?? []).flatMap((s) => (s.value === null ? [] : [s.value]));
}

function panelsQuerying(dashboard: Dashboard, pattern: RegExp): Panel[] {
  return queryPanels(dashboard).filter((p) => (p.targets ?? []).some((t) => pattern.test(t.expr ?? '')));
}

describe('metricNames (the PromQL reader this test relies on)', () => {
  it.each([
    ['sum by (topic) (rate(a_total{job=~"$job", x="b_total"}[$__rate_interval]))', ['a_total']],
    ['histogram_quantile(0.99, sum by (le, outcome) (rate(h_bucket{instance=~"$instance"}[5m])))', ['h_bucket']],
    ['sum(rate(a_total[5m])) / sum(rate(b_total[5m])) by (kind)', ['a_total', 'b_total']],
    ['x / on (instance) group_left (kind) y offset 5m > bool 1e3', ['x', 'y']],
    ['count(up == 0) or vector(0)', ['up']],
  ])('%s → %j', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });
});

describe('Grafana dashboards (grafana/dashboards)', () => {
  it('has one dashboard per service registry, each with a unique uid', () => {
    expect(dashboardFiles).toEqual(Object.keys(registries).sort());
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  describe.each(dashboards)('$file', ({ file, dashboard }) => {
    it('is a current classic dashboard with unique panel ids, units and at least one query per panel', () => {
      expect(dashboard.schemaVersion).toBe(schemaVersion);
      const ids = allPanels(dashboard).map((p) => p.id);
      expect(ids.every((id) => Number.isInteger(id))).toBe(true);
      expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
      for (const panel of queryPanels(dashboard)) {
        const label = `${file} panel ${panel.id} "${panel.title}"`;
        expect(panel.targets?.length ?? 0, `${label} has a query`).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) expect(target.expr?.trim() ?? '', `${label} ${target.refId}`).not.toBe('');
        expect(panel.fieldConfig?.defaults?.unit, `${label} unit`).toBeTruthy();
        const refIds = (panel.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, `${label} refIds`).toBe(refIds.length);
      }
    });

    it('reads every panel and variable from the ${DS_PROMETHEUS} data source variable', () => {
      const variables = dashboard.templating.list;
      expect(variables.find((v) => v.name === 'DS_PROMETHEUS')).toMatchObject({ type: 'datasource', query: 'prometheus' });
      for (const panel of queryPanels(dashboard)) {
        expect(panel.datasource, `panel ${panel.id}`).toEqual(datasource);
        for (const target of panel.targets ?? []) expect(target.datasource ?? datasource, `panel ${panel.id} ${target.refId}`).toEqual(datasource);
      }
      for (const v of variables.filter((v) => v.type === 'query')) expect(v.datasource, v.name).toEqual(datasource);
    });

    it('queries only metrics the service registry declares, rating only counters', async () => {
      const series = await exposedSeries(registries[file]!());
      const problems: string[] = [];
      const check = (where: string, expr: string, names: string[]) => {
        if (names.length === 0) problems.push(`${where}: no metric in "${expr}"`);
        for (const name of names) if (!series.has(name)) problems.push(`${where}: ${name} is not declared`);
      };
      for (const panel of queryPanels(dashboard)) {
        for (const target of panel.targets ?? []) {
          const where = `panel ${panel.id} "${panel.title}" ${target.refId}`;
          const expr = target.expr ?? '';
          const names = metricNames(expr);
          check(where, expr, names);
          const rated = ratedNames(expr);
          for (const name of rated) if (series.get(name) === 'gauge') problems.push(`${where}: rate/increase of gauge ${name}`);
          for (const name of names) {
            if (series.get(name) === 'counter' && !rated.includes(name)) problems.push(`${where}: counter ${name} read without rate/increase`);
          }
          if (/histogram_quantile\s*\(/.test(expr) && !/by\s*\((?:[^)]*,\s*)?le\b/.test(expr)) problems.push(`${where}: histogram_quantile without "by (le…)"`);
        }
      }
      for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) check(`variable ${v.name}`, String(v.definition), variableMetricNames(v));
      expect(problems).toEqual([]);
    });
  });

  it('fails when a metric it queries is renamed in code', async () => {
    const { dashboard } = dashboards.find((d) => d.file === 'fleethook-dispatcher.json')!;
    const series = await exposedSeries(createDispatcherMetrics({ defaultMetrics: false }).registry);
    series.delete('fleethook_dispatcher_end_to_end_latency_seconds_bucket');
    series.set('fleethook_dispatcher_delivery_latency_seconds_bucket', 'counter');
    const unknown = queryPanels(dashboard)
      .flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr ?? '')))
      .filter((name) => !series.has(name));
    expect(unknown).toContain('fleethook_dispatcher_end_to_end_latency_seconds_bucket');
  });

  it('marks the targets operators are held to, from the code\u2019s own limits and defaults', () => {
    const { dashboard } = dashboards.find((d) => d.file === 'fleethook-dispatcher.json')!;
    // DESIGN / issue 4: p99 end-to-end within the batch window + 1 s.
    const e2eTargetS = (limits.maxBatchWaitMs + 1_000) / 1_000;
    const p99Panels = panelsQuerying(dashboard, /histogram_quantile\(0\.99,[\s\S]*end_to_end_latency_seconds_bucket/);
    expect(p99Panels.length).toBeGreaterThanOrEqual(2);
    for (const panel of p99Panels) {
      expect(thresholdValues(panel), panel.title).toEqual([limits.maxBatchWaitMs / 1_000, e2eTargetS]);
      expect(panel.fieldConfig?.defaults?.unit).toBe('s');
    }
    const timeoutPanels = panelsQuerying(dashboard, /request_duration_seconds_bucket/);
    for (const panel of timeoutPanels) expect(thresholdValues(panel), panel.title).toEqual([dispatcherDefaults.requestTimeoutMs / 1_000]);
    const inFlight = panelsQuerying(dashboard, /requests_in_flight/);
    expect(inFlight).toHaveLength(1);
    expect(thresholdValues(inFlight[0]!)).toEqual([dispatcherDefaults.maxInFlight]);
    // Any parked subscription is a warning.
    for (const panel of panelsQuerying(dashboard, /parked_subscriptions/)) expect(thresholdValues(panel), panel.title).toEqual([1]);
  });
});

describe('consumer lag and backlog depth on the dashboards', () => {
  const lagByTopic = /sum by \(group, topic\) \(max by \(group, topic, partition\) \(fleethook_dispatcher_consumer_lag\{/;
  it.each([
    ['fleethook-dispatcher.json', lagByTopic],
    ['fleethook-dispatcher.json', /max by \(group, topic, partition\) \(fleethook_dispatcher_consumer_lag\{/],
    ['fleethook-dispatcher.json', /sum by \(phase\) \(fleethook_dispatcher_backlog_items\{/],
    ['fleethook-dispatcher.json', /fleethook_dispatcher_oldest_parked_seconds\{/],
    ['fleethook-alerter.json', /max by \(group, topic, partition\) \(fleethook_alerter_consumer_lag\{/],
  ])('%s has a panel for %s', (file, pattern) => {
    const { dashboard } = dashboards.find((d) => d.file === file)!;
    expect(panelsQuerying(dashboard, pattern).length).toBeGreaterThanOrEqual(1);
  });

  it('takes the max over instances before summing lag (every instance reports the whole group)', () => {
    for (const { dashboard } of dashboards) {
      for (const panel of panelsQuerying(dashboard, /consumer_lag/)) {
        for (const t of panel.targets ?? []) expect(t.expr, `panel ${panel.id}`).toMatch(/max by \(group, topic, partition\) \(fleethook_\w+_consumer_lag/);
      }
    }
    // And the pattern above does catch a plain sum (which would double-count with two instances).
    expect('sum by (group, topic) (fleethook_dispatcher_consumer_lag{job=~"$job"})').not.toMatch(lagByTopic);
  });
});

describe('Grafana provisioning and the Prometheus config', () => {
  const compose = parse(readFileSync(path.join(root, 'docker-compose.kafka.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { ports?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
  };
  const containerPorts = (service: string) => (compose.services[service]?.ports ?? []).map((p) => Number(p.split(':').at(-1)));
  const mountOf = (service: string, source: string) =>
    (compose.services[service]?.volumes ?? []).map((v) => v.split(':')).find(([s]) => s === source)?.[1];

  it('provisions one default Prometheus data source pointing at the compose Prometheus', () => {
    const file = parse(readFileSync(path.join(grafanaDir, 'provisioning/datasources/prometheus.yml'), 'utf8')) as {
      apiVersion: number; datasources: { type: string; url: string; isDefault?: boolean }[];
    };
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toHaveLength(1);
    const [ds] = file.datasources;
    expect(ds).toMatchObject({ type: 'prometheus', isDefault: true });
    const url = new URL(ds!.url);
    expect(compose.services[url.hostname], `compose service ${url.hostname}`).toBeDefined();
    expect(containerPorts(url.hostname)).toContain(Number(url.port));
    expect(mountOf('grafana', './grafana/provisioning')).toBe('/etc/grafana/provisioning');
  });

  it('provisions the dashboards from where compose mounts grafana/dashboards', () => {
    const file = parse(readFileSync(path.join(grafanaDir, 'provisioning/dashboards/fleethook.yml'), 'utf8')) as {
      apiVersion: number; providers: { type: string; options: { path: string } }[];
    };
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toHaveLength(1);
    expect(file.providers[0]).toMatchObject({ type: 'file' });
    expect(mountOf('grafana', './grafana/dashboards')).toBe(file.providers[0]!.options.path);
  });

  it('scrapes only services that compose runs, on the port their metrics listen on', () => {
    const config = parse(readFileSync(path.join(grafanaDir, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(mountOf('prometheus', './grafana/prometheus.yml')).toBe('/etc/prometheus/prometheus.yml');
    const jobs = config.scrape_configs.map((c) => c.job_name);
    expect(new Set(jobs).size).toBe(jobs.length);
    const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const [host, port] = target.split(':');
      expect(compose.services[host!], `${target} is a compose service`).toBeDefined();
      const env = compose.services[host!]?.environment ?? {};
      const metricsPort = Object.entries(env).find(([name]) => /^FLEETHOOK_[A-Z]+_PORT$/.test(name))?.[1];
      expect(metricsPort, `${host} sets its metrics port`).toBe(port);
    }
  });
});
