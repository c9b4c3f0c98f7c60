import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleethookError } from '../../services/shared/errors.js';
import { readPidRecord } from '../../stack/pid-record.js';
import { readCommandLine } from '../../stack/port-owner.js';
import { isProcessAlive } from '../../stack/process-control.js';
import { ensureRedisServer, redisServerEnv } from '../../stack/redis-fetch.js';
import { repoRoot, resolveStackPaths, type StackPaths } from '../../stack/stack-paths.js';
import { stackVersions } from '../../stack/stack-versions.js';

const tsxCli = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
let home: string;
let emptyPathDir: string;
let paths: StackPaths;
let redisPort: number;

/** The stack CLI with PATH set to an empty folder: no redis-server (nor anything else) can be found there. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsxCli, 'stack/cli.ts', ...args],
      {
        cwd: repoRoot,
        timeout: 60_000,
        env: {
          ...process.env,
          PATH: emptyPathDir,
          FLEETHOOK_STACK_HOME: home,
          FLEETHOOK_STACK_CACHE: paths.cache,
          FLEETHOOK_STACK_REDIS_PORT: String(redisPort),
          [redisServerEnv]: '',
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<FleethookError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(FleethookError);
  return err as FleethookError;
}

// An own stack home, cache and Redis port: the shared stack is never touched. Its Maven
// repository is the running stack's, so the jar is read from there when it is already
// fetched (the global setup's `stack up` does that) and downloaded once otherwise.
describe('the stack runs Redis from the embedded-redis jar', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-redis-jar-'));
    emptyPathDir = path.join(home, 'empty-path');
    fs.mkdirSync(emptyPathDir);
    const own = resolveStackPaths(home, {});
    paths = { ...own, mavenRepo: resolveStackPaths().mavenRepo };
    redisPort = await freePort();
  });

  afterAll(async () => {
    await cli('down', '--only', 'redis');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('extracts this platform\'s redis-server into the cache, executable, and it runs --version', async () => {
    const server = await ensureRedisServer(paths, {});
    const expected = path.join(paths.cache, 'redis', stackVersions.embeddedRedis, 'redis-server');
    expect(server.bin).toBe(expected);
    expect(fs.statSync(expected).mode & 0o111).toBe(0o111);
    expect(server.version).toMatch(/^Redis server v=6\.2\.\d+ /);
    expect(server.origin).toContain(`com.github.codemonstur:embedded-redis:${stackVersions.embeddedRedis}`);
    // Nothing else is left in the cache folder (no markers, no other platforms' binaries).
    expect(fs.readdirSync(path.dirname(expected))).toEqual(['redis-server']);
    // Nor in the working directory (Maven's unpack markers once landed in `./${project.basedir}/`).
    expect(fs.existsSync(path.join(process.cwd(), '${project.basedir}'))).toBe(false);

    // A second call uses the cached file as it is.
    const inode = fs.statSync(expected).ino;
    expect((await ensureRedisServer(paths, {})).bin).toBe(expected);
    expect(fs.statSync(expected).ino).toBe(inode);
  }, 180_000);

  it('stack up --only redis runs that binary with no redis-server on PATH; down stops it', async () => {
    const up = await cli('up', '--only', 'redis');
    expect(up.code, up.stderr).toBe(0);
    const record = readPidRecord(path.join(home, 'run'), 'redis');
    expect(record).toBeDefined();
    const commandLine = readCommandLine(record!.pid);
    expect(commandLine.startsWith(path.join(paths.cache, 'redis', stackVersions.embeddedRedis, 'redis-server'))).toBe(true);

    const redis = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.info('server')).toMatch(/redis_version:6\.2\.\d+/);
      // The commands the services rely on: SET NX PX and a Lua script (alert dedupe), hashes, lists.
      expect(await redis.set('fm:k', 'v', 'PX', 60_000, 'NX')).toBe('OK');
      expect(await redis.set('fm:k', 'w', 'PX', 60_000, 'NX')).toBeNull();
      expect(await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end", 1, 'fm:k', 'v')).toBe(1);
    } finally {
      redis.disconnect();
    }
    expect((await cli('status', '--only', 'redis')).code).toBe(0);

    expect((await cli('down', '--only', 'redis')).code).toBe(0);
    expect(isProcessAlive(record!.pid, record!.marker)).toBe(false);
  }, 120_000);

  it(`${redisServerEnv} picks another redis-server; a missing or wrong one is refused with its name`, async () => {
    const cached = path.join(paths.cache, 'redis', stackVersions.embeddedRedis, 'redis-server');
    const chosen = await ensureRedisServer(paths, { [redisServerEnv]: cached });
    expect(chosen.bin).toBe(cached);
    expect(chosen.origin).toBe(`${redisServerEnv}=${cached}`);

    const missing = await rejection(ensureRedisServer(paths, { [redisServerEnv]: path.join(home, 'no-such-redis-server') }));
    expect(missing.code).toBe('STACK_REDIS_UNUSABLE');
    expect(missing.message).toContain('no-such-redis-server');

    const notOnPath = await rejection(ensureRedisServer(paths, { [redisServerEnv]: 'no-such-redis-server', PATH: emptyPathDir }));
    expect(notOnPath.code).toBe('STACK_REDIS_MISSING');
    expect(notOnPath.message).toContain(`${redisServerEnv}=no-such-redis-server: not found on PATH`);

    // Node answers --version, but not as Redis does.
    const wrong = await rejection(ensureRedisServer(paths, { [redisServerEnv]: process.execPath }));
    expect(wrong.code).toBe('STACK_REDIS_UNUSABLE');
    expect(wrong.message).toContain('is not a redis-server');
  });

  it('a platform the jar does not cover is refused, naming the variable to set', async () => {
    const err = await rejection(ensureRedisServer(paths, {}, 'win32', 'x64'));
    expect(err.code).toBe('STACK_REDIS_MISSING');
    expect(err.message).toContain('no redis-server for win32/x64');
    expect(err.message).toContain(redisServerEnv);
  });

  it('a damaged cached binary is refused with a way out, and extracted again once removed', async () => {
    const other = resolveStackPaths(path.join(home, 'damaged'), {});
    const damagedPaths = { ...other, mavenRepo: paths.mavenRepo };
    const dir = path.join(damagedPaths.cache, 'redis', stackVersions.embeddedRedis);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'redis-server'), '#!/bin/sh\necho half a download\n', { mode: 0o755 });
    const err = await rejection(ensureRedisServer(damagedPaths, {}));
    expect(err.code).toBe('STACK_REDIS_UNUSABLE');
    expect(err.message).toContain(`delete ${dir}`);

    fs.rmSync(dir, { recursive: true });
    expect((await ensureRedisServer(damagedPaths, {})).version).toMatch(/^Redis server v=6\.2\./);
  }, 180_000);
});
