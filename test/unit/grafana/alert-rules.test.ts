import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { createAlerterMetrics } from '../../../services/alerter/alerter-metrics.js';
import { createDispatcherMetrics } from '../../../services/dispatcher/dispatcher-metrics.js';

// The alerting rules run through Prometheus' own tool: `promtool check rules` (syntax,
// PromQL, templates) and `promtool test rules` (each alert fires on the series it is for,
// and stays quiet on the ones it is not). promtool comes with Debian's `prometheus`
// package (apt-get install -y prometheus), as CI installs it.

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const alertsDir = path.join(root, 'grafana/alerts');
const rulesFile = path.join(alertsDir, 'fleethook.rules.yml');
const rulesTestFile = path.join(alertsDir, 'fleethook.rules.test.yml');
const scratch = mkdtempSync(path.join(tmpdir(), 'fleethook-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const rules = (parse(readFileSync(rulesFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await exec('promtool', args, { cwd: alertsDir });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: apt-get install -y prometheus', { cause: err });
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Series the rules may read: what the dispatcher and alerter declare, `up`, and the rules' own records. */
async function knownSeries(): Promise<Set<string>> {
  const names = new Set(['up', ...rules.flatMap((r) => (r.record === undefined ? [] : [r.record]))]);
  for (const registry of [createDispatcherMetrics({ defaultMetrics: false }).registry, createAlerterMetrics({ defaultMetrics: false }).registry]) {
    for (const m of await registry.getMetricsAsJSON()) names.add(m.name);
  }
  return names;
}

/** Metric names in a rule expression (labels, strings, ranges and keywords removed). */
function seriesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  const words = new Set(['and', 'or', 'unless', 'by', 'on', 'without', 'ignoring', 'bool']);
  return [...bare.matchAll(/[a-zA-Z_:][\w:]*/g)]
    .filter((m) => !/^\s*\(/.test(bare.slice(m.index + m[0].length)) && !words.has(m[0]))
    .map((m) => m[0]);
}

describe('alerting rules (grafana/alerts)', () => {
  it('has the five alerts operators need, each with a severity, a summary and a description', () => {
    const alerts = rules.filter((r) => r.alert !== undefined);
    expect(alerts.map((r) => r.alert).sort()).toEqual(
      ['FleethookAlerterSmtpFailing', 'FleethookBacklogDrainStalled', 'FleethookConsumerLagGrowing', 'FleethookDispatcherDown', 'FleethookSubscriptionParkedTooLong'],
    );
    for (const a of alerts) {
      expect(['warning', 'critical'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
    }
  });

  it('reads only series the services declare (or the rules record)', async () => {
    const known = await knownSeries();
    const unknown = rules.flatMap((r) => seriesIn(r.expr).filter((name) => !known.has(name)).map((name) => `${r.alert ?? r.record}: ${name}`));
    expect(unknown).toEqual([]);
    // The reader itself: a renamed metric is caught.
    expect(seriesIn('sum by (job) (rate(fleethook_alerter_emails_sent_totl{x="y"}[5m])) > 0').filter((n) => !known.has(n))).toEqual(['fleethook_alerter_emails_sent_totl']);
  });

  it('passes promtool check rules', async () => {
    const { code, output } = await promtool('check', 'rules', rulesFile);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(code).toBe(0);
  });

  it('passes promtool test rules: every alert fires when it should and not before', async () => {
    const { code, output } = await promtool('test', 'rules', rulesTestFile);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
    const tested = new Set([...readFileSync(rulesTestFile, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    for (const r of rules.filter((x) => x.alert !== undefined)) expect(tested, r.alert).toContain(r.alert);
  });

  it('fails promtool on a broken rule and on a wrong expectation (bad input)', async () => {
    const broken = path.join(scratch, 'broken.rules.yml');
    writeFileSync(broken, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(up[5m]) > \n');
    const checked = await promtool('check', 'rules', broken);
    expect(checked.code).not.toBe(0);
    expect(checked.output).toMatch(/Broken|parse error|unexpected/);

    // The real rules, with an expectation that dispatcher-2 (which stays up) is down.
    const wrong = path.join(scratch, 'wrong.test.yml');
    writeFileSync(wrong, readFileSync(rulesTestFile, 'utf8')
      .replace('rule_files:\n  - fleethook.rules.yml', `rule_files:\n  - ${rulesFile}`)
      .replace('instance: "dispatcher-1:9090" }', 'instance: "dispatcher-2:9090" }'));
    const tested = await promtool('test', 'rules', wrong);
    expect(tested.code).not.toBe(0);
    expect(tested.output).toContain('FleethookDispatcherDown');
  });

  it('is loaded by the compose Prometheus from where compose mounts it', async () => {
    const config = parse(readFileSync(path.join(root, 'grafana/prometheus.yml'), 'utf8')) as { rule_files: string[] };
    const compose = parse(readFileSync(path.join(root, 'docker-compose.kafka.yml'), 'utf8'), { merge: true }) as {
      services: { prometheus: { volumes: string[] } };
    };
    const mount = compose.services.prometheus.volumes.map((v) => v.split(':')).find(([source]) => source === './grafana/alerts')?.[1];
    expect(mount).toBeDefined();
    expect(config.rule_files).toEqual([`${mount}/*.rules.yml`]);
    expect(path.basename(rulesFile)).toMatch(/\.rules\.yml$/);
    expect(path.basename(rulesTestFile), 'the test file is not loaded as rules').not.toMatch(/\.rules\.yml$/);
    const { code, output } = await promtool('check', 'config', path.join(root, 'grafana/prometheus.yml'));
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });
});
