import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../services/shared/errors.js';
import { containerPorts, fleethookServiceOf, interpolate, readCompose, root, serviceEnv } from './compose-file.js';
import type { ComposeService } from './compose-file.js';

// The fleethook services of docker-compose.kafka.yml, checked against the code they run:
// no Docker engine runs here, so a misspelt variable or a wrong port would otherwise only
// show up as a silently ignored setting or an empty dashboard on someone's laptop.

type Env = Readonly<Record<string, string | undefined>>;
type LoadConfig = (env: Env) => unknown;

const compose = readCompose();
const services = compose.services;
const fleethook = Object.entries(services).flatMap(([name, s]) => {
  const service = fleethookServiceOf(s);
  return service === undefined ? [] : [{ name, service, s }];
});
const longRunning = fleethook.filter(({ s }) => s.restart !== 'no');
const packageVersion = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

async function loaderOf(service: string): Promise<LoadConfig> {
  const module = (await import(path.join(root, 'services', service, 'config.ts'))) as { loadConfig?: LoadConfig };
  if (typeof module.loadConfig !== 'function') throw new Error(`services/${service}/config.ts has no loadConfig`);
  return module.loadConfig;
}

/**
 * Every variable name `loadConfig` reads, found by running it on an environment that
 * records each lookup. The compose values are passed through, so branches that depend on
 * them (an SMTP user needing a password, say) are followed as they would be at start-up.
 */
function namesRead(loadConfig: LoadConfig, env: Env): { read: Set<string>; problems: readonly string[] } {
  const read = new Set<string>();
  const recording = new Proxy({ ...env }, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name) as unknown;
    },
  });
  try {
    loadConfig(recording);
    return { read, problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { read, problems: err.problems };
    throw err;
  }
}

function unknownVariables(read: Set<string>, env: Env): string[] {
  return Object.keys(env).filter((name) => !read.has(name));
}

function dependsOnInit(s: ComposeService): boolean {
  return Object.entries(s.depends_on ?? {}).some(
    ([dep, { condition }]) => services[dep]?.restart === 'no' && fleethookServiceOf(services[dep]!) === 'topics' && condition === 'service_completed_successfully',
  );
}

describe('docker-compose.kafka.yml fleethook services', () => {
  it('runs two dispatchers of one consumer group, the admin API, the alerter and the topics job', () => {
    const count = (service: string) => fleethook.filter((f) => f.service === service).length;
    expect(count('dispatcher')).toBe(2);
    expect(count('admin-api')).toBe(1);
    expect(count('alerter')).toBe(1);
    expect(count('topics')).toBe(1);
    const groups = fleethook.filter((f) => f.service === 'dispatcher').map((f) => serviceEnv(f.s).FLEETHOOK_DISPATCHER_GROUP_ID ?? 'fleethook-dispatcher');
    expect(new Set(groups).size).toBe(1);
    for (const { name, service } of fleethook) expect(existsSync(path.join(root, 'services', service, 'main.ts')), `${name} runs services/${service}`).toBe(true);
  });

  it.each(fleethook.map((f) => [f.name, f] as const))('%s sets only variables its config loader reads, and the loader accepts them', async (_name, { service, s }) => {
    const env = serviceEnv(s);
    const { read, problems } = namesRead(await loaderOf(service), env);
    expect(read.size, 'the loader reads its variables from the env object').toBeGreaterThan(3);
    expect(unknownVariables(read, env)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('reports a misspelt or foreign variable, and a value the loader rejects', async () => {
    const dispatcher = fleethook.find((f) => f.service === 'dispatcher')!;
    const env = { ...serviceEnv(dispatcher.s), FLEETHOOK_DISPATCHER_PORTT: '9090', FLEETHOOK_ALERTER_SMTP_HOST: 'mailpit' };
    const { read } = namesRead(await loaderOf('dispatcher'), env);
    expect(unknownVariables(read, env).sort()).toEqual(['FLEETHOOK_ALERTER_SMTP_HOST', 'FLEETHOOK_DISPATCHER_PORTT']);
    const { problems } = namesRead(await loaderOf('dispatcher'), { ...env, FLEETHOOK_DISPATCHER_PORT: 'ninety' });
    expect(problems.join('\n')).toContain('FLEETHOOK_DISPATCHER_PORT');
  });

  it('creates the topics with replication factor 3 and min.insync.replicas 2 before any service starts', async () => {
    const [init] = fleethook.filter((f) => f.service === 'topics');
    expect(init!.s.restart).toBe('no');
    const config = (await loaderOf('topics'))(serviceEnv(init!.s)) as { replicationFactor: number; minInsyncReplicas: number; registerSchemas: boolean; schemaRegistryUrl: string };
    expect(config).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2, registerSchemas: true });
    // The compose registry, by its service name and container port.
    const registry = new URL(config.schemaRegistryUrl);
    expect(services[registry.hostname]?.image).toMatch(/schema-registry/);
    expect(containerPorts(services[registry.hostname]!)).toContain(Number(registry.port));
    for (const [dep, { condition }] of Object.entries(init!.s.depends_on ?? {})) expect(`${dep} ${condition}`).toMatch(/ service_healthy$/);
    expect(Object.keys(init!.s.depends_on ?? {})).toContain(registry.hostname);
    for (const { name, s } of longRunning) expect(dependsOnInit(s), `${name} waits for the topics job`).toBe(true);
  });

  it('has every fleethook service scraped by Prometheus on the port its config listens on', async () => {
    const config = parse(readFileSync(path.join(root, 'grafana/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((sc) => sc.targets.map((t) => ({ job: c.job_name, target: t }))));
    for (const { job, target } of targets) {
      const [host, port] = target.split(':');
      const entry = fleethook.find((f) => f.name === host);
      expect(entry, `${job} → ${target} is a fleethook service`).toBeDefined();
      expect(job).toBe(`fleethook-${entry!.service}`);
      const loaded = (await loaderOf(entry!.service))(serviceEnv(entry!.s)) as { port: number };
      expect(loaded.port, `${target}: the port its loadConfig gives`).toBe(Number(port));
      expect(containerPorts(entry!.s), `${host} publishes or exposes ${port}`).toContain(Number(port));
      expect(entry!.s.healthcheck?.test.join(' '), `${host} health check uses the same port`).toContain(`:${port}/`);
    }
    expect(targets.map((t) => t.target.split(':')[0]).sort()).toEqual(longRunning.map((f) => f.name).sort());
  });

  it('pins every image by version, and tags the built image with package.json\u2019s version', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, `${name} image`).toBeDefined();
      const [repository, tag] = s.image!.split(':');
      expect(repository, name).toBeTruthy();
      expect(tag, `${name}: ${s.image} has a version tag`).toMatch(/^v?\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$/);
      if (s.build !== undefined) expect(s.image).toBe(`fleethook:${packageVersion}`);
    }
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base, 'the Node base image, fully versioned').toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim$/);
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toBe('${NODE_IMAGE}');
  });

  it('builds from a Dockerfile whose sources exist, pass .dockerignore, and produce what compose runs', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev\b/m);
    const ignore = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0], '.dockerignore starts by excluding everything').toBe('**');
    const included = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const copies = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
    expect(copies.length).toBeGreaterThan(3);
    for (const source of copies) {
      const top = source.split('/')[0]!;
      expect(included, `COPY ${source} is in the build context`).toContain(top);
      expect(existsSync(path.join(root, source.replace(/\/?\*\.\w+$/, ''))), `COPY ${source} exists`).toBe(true);
    }
    // What the runtime stage runs is what tsc emits for a service's main.ts.
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist\/services \.\/dist\/services/);
    for (const { name, s } of fleethook) expect(s.command?.[0], name).toBe('node');
  });
});

describe('compose interpolation (as the checks above read it)', () => {
  it.each([
    ['${A:-x}', {}, 'x'],
    ['${A:-x}', { A: '' }, 'x'],
    ['${A-x}', { A: '' }, ''],
    ['${A:-x}', { A: 'y' }, 'y'],
    ['pre-${A}-$B', { A: '1', B: '2' }, 'pre-1-2'],
    ['$$HOME', {}, '$HOME'],
  ])('%s with %j → %s', (value, env, expected) => {
    expect(interpolate(value, env)).toBe(expected);
  });

  it('refuses a required variable that is not set', () => {
    expect(() => interpolate('${A:?set A}')).toThrow(/A is required/);
  });
});
