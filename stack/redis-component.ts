import fs from 'node:fs';
import path from 'node:path';
import { FleethookError } from '../services/shared/errors.js';
import { redisAnswers } from './readiness-probes.js';
import type { StackComponent } from './stack-component.js';
import type { StackPaths } from './stack-paths.js';

export interface RedisComponentOptions {
  readonly paths: StackPaths;
  readonly host: string;
  readonly port: number;
}

/** Debian's `redis-server` with its own config and data folder (installed by .ci/run, not here). */
export function redisComponent(opts: RedisComponentOptions): StackComponent {
  const { paths, host, port } = opts;
  const dataDir = path.join(paths.data, 'redis');
  const confFile = path.join(paths.conf, 'redis.conf');
  return {
    name: 'redis',
    host,
    port,
    endpoint: `redis://${host}:${port}`,
    logFile: path.join(paths.logs, 'redis.log'),
    marker: confFile,
    family: ['redis-server', '/conf/redis.conf'],
    readyTimeoutMs: 15_000,
    async prepare() {
      if (findOnPath('redis-server') === undefined) {
        throw new FleethookError(
          'STACK_REDIS_MISSING',
          'redis-server is not on PATH; install it (Debian: apt-get install -y redis-server)',
        );
      }
      fs.mkdirSync(dataDir, { recursive: true });
      fs.mkdirSync(paths.conf, { recursive: true });
      fs.writeFileSync(
        confFile,
        [
          `bind ${host}`,
          `port ${port}`,
          `dir ${dataDir}`,
          'daemonize no',
          // Keep the config path in the command line: it is how `stack:status` recognises the pid.
          'set-proc-title no',
          'logfile ""',
          'appendonly no',
          '',
        ].join('\n'),
      );
    },
    command: () => ({ command: 'redis-server', args: [confFile], logFile: path.join(paths.logs, 'redis.log'), cwd: dataDir }),
    probe: () => redisAnswers(host, port),
  };
}

function findOnPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, bin);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
