import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, resolveStackPaths } from '../../stack/stack-paths.js';

export interface PrivateRedis {
  readonly url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * A Redis of the run's own, started by the stack's redis component in a temporary stack
 * home on a free port: a FLUSHALL there touches nobody else's data.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-chaos-redis-'));
  const port = await freePort();
  const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
  const cache = resolveStackPaths().cache;
  const stack = (command: 'up' | 'down'): Promise<void> => new Promise((resolve, reject) => {
    execFile(tsx, ['stack/cli.ts', command, '--only', 'redis'], {
      // The shared stack's downloads (the Redis server) are reused, not fetched again for the temporary home.
      cwd: repoRoot, timeout: 120_000, env: { ...process.env, FLEETHOOK_STACK_HOME: home, FLEETHOOK_STACK_CACHE: cache, FLEETHOOK_STACK_REDIS_PORT: String(port) },
    }, (err, stdout, stderr) => (err ? reject(new Error(`stack ${command} --only redis failed: ${stdout}${stderr}`)) : resolve()));
  });
  await stack('up');
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stack('down').catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
