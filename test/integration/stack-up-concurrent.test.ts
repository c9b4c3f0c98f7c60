import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPidRecord } from '../../stack/pid-record.js';
import { readCommandLine } from '../../stack/port-owner.js';
import { repoRoot, resolveStackPaths } from '../../stack/stack-paths.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
// The running stack's downloads (Redis's binary among them): a fresh home must not fetch them again.
const sharedCache = resolveStackPaths().cache;
let home: string;
let redisPort: number;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

describe('stack:up run twice at the same moment', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-concurrent-'));
    redisPort = await freePort();
  });

  afterAll(async () => {
    await cli('down', '--only', 'redis');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('starts one process; the other call finds it running', async () => {
    const results = await Promise.all([cli('up', '--only', 'redis', '--json'), cli('up', '--only', 'redis', '--json')]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const lines = results.map((r) => (JSON.parse(r.stdout) as { kind: string; pid: number }[])[0]);
    expect(lines.map((l) => l?.kind).sort()).toEqual(['already-running', 'started']);
    expect(lines[0]?.pid).toBe(lines[1]?.pid);

    const marker = readPidRecord(path.join(home, 'run'), 'redis')?.marker ?? '<none>';
    const copies = fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e) && readCommandLine(Number(e)).includes(marker));
    expect(copies).toHaveLength(1);
  });
});
