import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPidRecord } from '../../stack/pid-record.js';
import { isProcessAlive } from '../../stack/process-control.js';
import { repoRoot, resolveStackPaths } from '../../stack/stack-paths.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
// The running stack's downloads (Redis's binary among them): a fresh home must not fetch them again.
const sharedCache = resolveStackPaths().cache;
let leftoverHome: string;
let ciHome: string;
let redisPort: number;

function cli(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['stack/cli.ts', ...args],
      { cwd: repoRoot, timeout: 60_000, env: { ...process.env, FLEETHOOK_STACK_HOME: home, FLEETHOOK_STACK_REDIS_PORT: String(redisPort), FLEETHOOK_STACK_CACHE: sharedCache } },
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

// Two isolated homes on one free Redis port: a leftover stack from an "earlier checkout" and
// the one a CI run brings up. The shared stack on the fixed ports is never touched.
describe('stack:up --take-over', () => {
  beforeAll(async () => {
    leftoverHome = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-leftover-'));
    ciHome = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-ci-'));
    redisPort = await freePort();
  });

  afterAll(async () => {
    await cli(leftoverHome, 'down', '--only', 'redis');
    await cli(ciHome, 'down', '--only', 'redis');
    fs.rmSync(leftoverHome, { recursive: true, force: true });
    fs.rmSync(ciHome, { recursive: true, force: true });
  });

  it('refuses a port held by another home, names it, and replaces it only with --take-over', async () => {
    expect((await cli(leftoverHome, 'up', '--only', 'redis')).code).toBe(0);
    const leftover = readPidRecord(path.join(leftoverHome, 'run'), 'redis');
    expect(leftover).toBeDefined();

    const refused = await cli(ciHome, 'up', '--only', 'redis');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`pid ${leftover?.pid}`);
    expect(refused.stderr).toContain('fleethook stack from another home');
    expect(isProcessAlive(leftover?.pid ?? -1, leftover?.marker)).toBe(true);

    const taken = await cli(ciHome, 'up', '--only', 'redis', '--take-over');
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stdout).toContain(`stopped a leftover copy from another stack home: pid ${leftover?.pid}`);
    expect(isProcessAlive(leftover?.pid ?? -1, leftover?.marker)).toBe(false);
    expect((await cli(ciHome, 'status', '--only', 'redis')).code).toBe(0);
  });
});
