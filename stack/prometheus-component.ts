import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, FleethookError } from '../services/shared/errors.js';
import type { StackComponent } from './stack-component.js';
import { repoRoot, type StackPaths } from './stack-paths.js';

/** The scrape jobs, named as in grafana/prometheus.yml (compose) so the dashboards and rules read both alike. */
export const prometheusJobs = ['fleethook-dispatcher', 'fleethook-admin-api', 'fleethook-alerter'] as const;
export type PrometheusJob = (typeof prometheusJobs)[number];

export interface PrometheusTarget {
  readonly job: PrometheusJob;
  /** `host:port` serving /metrics. */
  readonly address: string;
}

/** The services on their default ports (dispatcher, admin API, alerter config.ts defaults), as `npm run dispatcher|admin|alerter` run them. */
export const defaultServiceTargets: readonly PrometheusTarget[] = [
  { job: 'fleethook-dispatcher', address: '127.0.0.1:9090' },
  { job: 'fleethook-admin-api', address: '127.0.0.1:8080' },
  { job: 'fleethook-alerter', address: '127.0.0.1:9091' },
];

export const defaultPrometheusPort = 19_090;

export interface PrometheusComponentOptions {
  readonly paths: StackPaths;
  readonly host: string;
  readonly port: number;
  /** Scrape and rule evaluation interval; tests use 1 s. */
  readonly scrapeIntervalS?: number;
  /** Targets written as `targets/<job>/default.json` at prepare (default: the services' default ports). */
  readonly targets?: readonly PrometheusTarget[];
}

/** Where the component keeps its config, targets and TSDB under a stack home. */
export function prometheusFiles(paths: StackPaths): { confDir: string; configFile: string; targetsDir: string; dataDir: string } {
  const confDir = path.join(paths.conf, 'prometheus');
  return { confDir, configFile: path.join(confDir, 'prometheus.yml'), targetsDir: path.join(confDir, 'targets'), dataDir: path.join(paths.data, 'prometheus') };
}

/**
 * Debian's `prometheus` (apt-get install -y prometheus; not the systemd service) with its own
 * config and TSDB under the stack home. Targets come from files (file_sd): one folder per
 * job, so whoever runs services on other ports (a test, a second demo) adds a file with
 * `writePrometheusTargets` and Prometheus picks it up within seconds, without a restart.
 * The alerting rules are the repository's grafana/alerts/*.rules.yml.
 */
export function prometheusComponent(opts: PrometheusComponentOptions): StackComponent {
  const { paths, host, port } = opts;
  const files = prometheusFiles(paths);
  const logFile = path.join(paths.logs, 'prometheus.log');
  const intervalS = opts.scrapeIntervalS ?? 5;
  return {
    name: 'prometheus',
    host,
    port,
    endpoint: `http://${host}:${port}/`,
    logFile,
    marker: files.configFile,
    // Never the system's /etc/prometheus one.
    family: ['prometheus', '/conf/prometheus/prometheus.yml'],
    readyTimeoutMs: 30_000,
    async prepare() {
      if (findOnPath('prometheus') === undefined) {
        throw new FleethookError('STACK_PROMETHEUS_MISSING', 'prometheus is not on PATH; install it (Debian: apt-get install -y prometheus)');
      }
      fs.mkdirSync(files.dataDir, { recursive: true });
      for (const job of prometheusJobs) fs.mkdirSync(path.join(files.targetsDir, job), { recursive: true });
      fs.writeFileSync(files.configFile, prometheusConfig(files.targetsDir, intervalS));
      writePrometheusTargets(paths, 'default', opts.targets ?? defaultServiceTargets);
    },
    command: () => ({
      command: 'prometheus',
      args: [
        `--config.file=${files.configFile}`,
        `--storage.tsdb.path=${files.dataDir}`,
        '--storage.tsdb.retention.time=7d',
        `--web.listen-address=${host}:${port}`,
      ],
      logFile,
      cwd: files.dataDir,
    }),
    probe: async () => {
      try {
        const res = await fetch(`http://${host}:${port}/-/ready`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    },
  };
}

/** The config file: three jobs reading their targets from files, and the repository's alerting rules. */
export function prometheusConfig(targetsDir: string, intervalS: number): string {
  const lines = [
    '# Written by stack/prometheus-component.ts; rewritten at every start.',
    'global:',
    `  scrape_interval: ${intervalS}s`,
    `  evaluation_interval: ${intervalS}s`,
    `  scrape_timeout: ${Math.min(intervalS, 10)}s`,
    'rule_files:',
    `  - ${JSON.stringify(path.join(repoRoot, 'grafana', 'alerts', '*.rules.yml'))}`,
    'scrape_configs:',
  ];
  for (const job of prometheusJobs) {
    lines.push(
      `  - job_name: ${job}`,
      '    metrics_path: /metrics',
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(path.join(targetsDir, job, '*.json'))}]`,
      '        refresh_interval: 5s',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Adds (or replaces) the target file `name` in each job's folder; Prometheus reads it within
 * seconds. Written to a temporary file and renamed, so Prometheus never reads half a file.
 */
export function writePrometheusTargets(paths: StackPaths, name: string, targets: readonly PrometheusTarget[]): void {
  if (!/^[\w.-]+$/.test(name)) throw new ConfigError([`prometheus target file name "${name}" may only use letters, digits, ".", "_" and "-"`]);
  const { targetsDir } = prometheusFiles(paths);
  for (const job of prometheusJobs) {
    const addresses = targets.filter((t) => t.job === job).map((t) => t.address);
    const file = path.join(targetsDir, job, `${name}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(addresses.length === 0 ? [] : [{ targets: addresses }]));
    fs.renameSync(`${file}.tmp`, file);
  }
}

export function removePrometheusTargets(paths: StackPaths, name: string): void {
  const { targetsDir } = prometheusFiles(paths);
  for (const job of prometheusJobs) fs.rmSync(path.join(targetsDir, job, `${name}.json`), { force: true });
}

/** `FLEETHOOK_STACK_PROMETHEUS_PORT`, default 19090 (9090 is the dispatcher's default metrics port). */
export function prometheusPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLEETHOOK_STACK_PROMETHEUS_PORT;
  if (raw === undefined || raw === '') return defaultPrometheusPort;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError([`FLEETHOOK_STACK_PROMETHEUS_PORT: expected a TCP port (1-65535), got ${JSON.stringify(raw)}`]);
  }
  return port;
}

function findOnPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, bin);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
