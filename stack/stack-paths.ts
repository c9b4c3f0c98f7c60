import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything the stack writes lives under one home: `.stack/` in the repo unless overridden. */
export interface StackPaths {
  readonly home: string;
  readonly cache: string;
  readonly mavenRepo: string;
  readonly data: string;
  readonly logs: string;
  readonly run: string;
  readonly conf: string;
}

export const repoRoot: string = fileURLToPath(new URL('..', import.meta.url));

/**
 * `FLEETHOOK_STACK_HOME` moves the whole stack (data, logs, pid files, downloads) elsewhere;
 * `FLEETHOOK_STACK_CACHE` lets an isolated home reuse the downloads of another.
 */
export function resolveStackPaths(home?: string, env: NodeJS.ProcessEnv = process.env): StackPaths {
  const root = path.resolve(home ?? env.FLEETHOOK_STACK_HOME ?? path.join(repoRoot, '.stack'));
  const cache = path.resolve(env.FLEETHOOK_STACK_CACHE ?? path.join(root, 'cache'));
  return {
    home: root,
    cache,
    mavenRepo: path.join(cache, 'm2'),
    data: path.join(root, 'data'),
    logs: path.join(root, 'logs'),
    run: path.join(root, 'run'),
    conf: path.join(root, 'conf'),
  };
}

export function kafkaLibsDir(paths: StackPaths, version: string): string {
  return path.join(paths.cache, 'kafka', version, 'libs');
}

export function apicurioDir(paths: StackPaths, version: string): string {
  return path.join(paths.cache, 'apicurio', version);
}

export function redisServerDir(paths: StackPaths, version: string): string {
  return path.join(paths.cache, 'redis', version);
}
