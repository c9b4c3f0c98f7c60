import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const root = path.resolve(import.meta.dirname, '../../..');

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[];
  restart?: string;
  ports?: string[];
  expose?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export function readCompose(): ComposeFile {
  return parse(readFileSync(path.join(root, 'docker-compose.kafka.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

/**
 * Compose's variable interpolation as `docker compose config` does it with an empty
 * shell environment: `${NAME:-default}` and `${NAME-default}` give the default, `${NAME}`
 * and `$NAME` give "" and `$$` is a literal `$`. `${NAME:?message}` (required) throws.
 */
export function interpolate(value: string, shellEnv: Readonly<Record<string, string>> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare!;
    const set = shellEnv[name];
    if (op === undefined) return set ?? '';
    const missing = op.startsWith(':') ? set === undefined || set === '' : set === undefined;
    if (!missing) return set!;
    if (op.endsWith('?')) throw new Error(`${name} is required: ${arg}`);
    return arg ?? '';
  });
}

/** The environment a service's process gets, interpolated. */
export function serviceEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
}

/** `services/<name>/main.ts` for a service whose command runs `dist/services/<name>/main.js`, else undefined. */
export function fleethookServiceOf(service: ComposeService): string | undefined {
  const script = (service.command ?? []).find((arg) => /^dist\/services\/.+\/main\.js$/.test(arg));
  return script === undefined ? undefined : /^dist\/services\/(.+)\/main\.js$/.exec(script)![1];
}

/** Container ports a service listens on for its network: published (`host:container`) or exposed. */
export function containerPorts(service: ComposeService): number[] {
  return [...(service.ports ?? []).map((p) => Number(p.split(':').at(-1))), ...(service.expose ?? []).map(Number)];
}
