/**
 * `npm run stack:up|stack:down|stack:status [-- --only kafka,redis] [-- --cluster] [-- --json]`
 * `--take-over` (up): stop a fleethook stack from another checkout that holds our ports (CI).
 * `--with-prometheus` (up, status): also Prometheus on :19090 (FLEETHOOK_STACK_PROMETHEUS_PORT), see stack/prometheus-component.ts.
 * Ports: FLEETHOOK_STACK_<KAFKA|KAFKA_CONTROLLER|REGISTRY|REGISTRY_MANAGEMENT|REDIS|SMTP|SMTP_WEB>_PORT;
 * home: FLEETHOOK_STACK_HOME (default <repo>/.stack).
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '../services/shared/errors.js';
import { clusterStatus, startCluster, stopCluster } from './cluster.js';
import type { ComponentState } from './component-runner.js';
import { componentNames, isComponentName, type ComponentName } from './main-stack.js';
import { resolveStackPaths } from './stack-paths.js';
import { stackDown, stackStatus, stackUp, type UpResult } from './stack-control.js';
import { prometheusDown, prometheusStatus, prometheusUp } from './optional-prometheus.js';

const usage = 'usage: tsx stack/cli.ts <up|down|status> [--only kafka,registry,redis,smtp] [--cluster] [--json] [--take-over] [--with-prometheus]';

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      cluster: { type: 'boolean' },
      json: { type: 'boolean' },
      'take-over': { type: 'boolean' },
      'with-prometheus': { type: 'boolean' },
    },
  });
  const command = positionals[0];
  const only = parseOnly(values.only);
  const paths = resolveStackPaths();
  const json = values.json === true;
  const cluster = values.cluster === true;
  const withPrometheus = values['with-prometheus'] === true;
  const startedAtMs = Date.now();

  switch (command) {
    case 'up': {
      if (!json) process.stdout.write(`fleethook stack: home ${paths.home}\n`);
      const takeOver = values['take-over'] === true;
      const results = cluster ? await startCluster(paths, { takeOver }) : await stackUp({ paths, only, takeOver });
      if (withPrometheus) results.push(await prometheusUp(paths, { takeOver }));
      if (json) process.stdout.write(JSON.stringify(results) + '\n');
      else printUp(results, Date.now() - startedAtMs);
      return 0;
    }
    case 'down': {
      const results = cluster
        ? await stopCluster({ paths })
        : [...(await stackDown({ paths, only })), ...(only === undefined ? [...(await stopCluster({ paths })), await prometheusDown(paths)] : [])];
      if (json) process.stdout.write(JSON.stringify(results) + '\n');
      else for (const r of results) process.stdout.write(`  ${r.name.padEnd(15)} ${r.outcome}\n`);
      return 0;
    }
    case 'status': {
      const states = cluster ? await clusterStatus(paths) : await stackStatus({ paths, only });
      if (withPrometheus) states.push(await prometheusStatus(paths));
      if (json) process.stdout.write(JSON.stringify(states) + '\n');
      else printStatus(states);
      return states.every((s) => s.up) ? 0 : 1;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
}

function parseOnly(raw: string | undefined): ComponentName[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !isComponentName(n));
  if (unknown.length > 0) {
    throw new Error(`--only: unknown component(s) ${unknown.join(', ')}; expected some of ${componentNames.join(', ')}`);
  }
  return names.filter(isComponentName);
}

function printUp(results: readonly UpResult[], totalMs: number): void {
  for (const r of results) {
    if (r.replaced) {
      process.stdout.write(`  ${r.name.padEnd(15)} stopped a leftover copy from another stack home: pid ${r.replaced.pid}\n`);
    }
    const what = r.kind === 'started' ? `started in ${(r.ms / 1_000).toFixed(1)} s` : 'already running';
    process.stdout.write(`  ${r.name.padEnd(15)} ${r.endpoint}  pid ${r.pid}  ${what}  log ${r.logFile}\n`);
  }
  process.stdout.write(`ready in ${(totalMs / 1_000).toFixed(1)} s\n`);
}

function printStatus(states: readonly ComponentState[]): void {
  for (const s of states) {
    const why = s.up
      ? `pid ${s.pid}`
      : `${s.pid === undefined ? 'no pid file' : `pid ${s.pid} ${s.pidAlive ? 'alive' : 'not running'}`}, port ${s.portOpen ? 'open' : 'closed'}`;
    process.stdout.write(`  ${s.name.padEnd(15)} ${s.up ? 'up  ' : 'down'}  ${s.endpoint}  (${why})\n`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`stack: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
