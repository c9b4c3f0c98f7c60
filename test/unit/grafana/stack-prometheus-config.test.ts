import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  defaultPrometheusPort, prometheusConfig, prometheusFiles, prometheusJobs, prometheusPortFromEnv, removePrometheusTargets, writePrometheusTargets,
} from '../../../stack/prometheus-component.js';
import { resolveStackPaths } from '../../../stack/stack-paths.js';

// The config the stack's optional Prometheus (`stack:up -- --with-prometheus`) writes,
// checked by promtool, and its file-based targets.

const exec = promisify(execFile);
const home = mkdtempSync(path.join(tmpdir(), 'fleethook-prom-config-'));
const paths = resolveStackPaths(home);
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('stack Prometheus config', () => {
  it('is valid for promtool, loads the repository\u2019s rules and names the jobs as compose does', async () => {
    const files = prometheusFiles(paths);
    writePrometheusTargets(paths, 'default', []);
    const file = path.join(home, 'prometheus.yml');
    writeFileSync(file, prometheusConfig(files.targetsDir, 1));
    const { stdout } = await exec('promtool', ['check', 'config', file]);
    expect(stdout).toContain('SUCCESS');
    // promtool resolves the rule_files glob: the repository's rules are found and valid.
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    const config = parse(readFileSync(file, 'utf8')) as { global: { scrape_interval: string }; scrape_configs: { job_name: string }[] };
    expect(config.global.scrape_interval).toBe('1s');
    const compose = parse(readFileSync(path.resolve(import.meta.dirname, '../../../grafana/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string }[] };
    expect(config.scrape_configs.map((c) => c.job_name).sort()).toEqual(compose.scrape_configs.map((c) => c.job_name).sort());
  });

  it('writes targets per job as file_sd groups, replaces and removes them', () => {
    const { targetsDir } = prometheusFiles(paths);
    writePrometheusTargets(paths, 'run-1', [
      { job: 'fleethook-dispatcher', address: '127.0.0.1:9190' }, { job: 'fleethook-dispatcher', address: '127.0.0.1:9191' }, { job: 'fleethook-alerter', address: '127.0.0.1:9291' },
    ]);
    const read = (job: string) => JSON.parse(readFileSync(path.join(targetsDir, job, 'run-1.json'), 'utf8')) as unknown;
    expect(read('fleethook-dispatcher')).toEqual([{ targets: ['127.0.0.1:9190', '127.0.0.1:9191'] }]);
    expect(read('fleethook-admin-api')).toEqual([]);
    writePrometheusTargets(paths, 'run-1', [{ job: 'fleethook-admin-api', address: '127.0.0.1:8180' }]);
    expect(read('fleethook-dispatcher')).toEqual([]);
    expect(read('fleethook-admin-api')).toEqual([{ targets: ['127.0.0.1:8180'] }]);
    removePrometheusTargets(paths, 'run-1');
    for (const job of prometheusJobs) expect(readdirSync(path.join(targetsDir, job))).not.toContain('run-1.json');
  });

  it('refuses a target file name that could leave its folder, and a bad port variable', () => {
    expect(() => writePrometheusTargets(paths, '../escape', [])).toThrow(/may only use letters/);
    expect(prometheusPortFromEnv({})).toBe(defaultPrometheusPort);
    expect(prometheusPortFromEnv({ FLEETHOOK_STACK_PROMETHEUS_PORT: '29090' })).toBe(29_090);
    expect(() => prometheusPortFromEnv({ FLEETHOOK_STACK_PROMETHEUS_PORT: '70000' })).toThrow(/FLEETHOOK_STACK_PROMETHEUS_PORT: expected a TCP port/);
  });
});
