import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, resolveStackPaths } from '../../stack/stack-paths.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
// The running stack's downloads (Redis's binary among them): a fresh home must not fetch them again.
const sharedCache = resolveStackPaths().cache;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface StatusLine {
  readonly name: string;
  readonly up: boolean;
  readonly pid?: number;
  readonly pidAlive: boolean;
  readonly portOpen: boolean;
}

/** An isolated stack: its own home and its own Redis port, so the shared stack is never touched. */
let home: string;
let redisPort: number;

function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['stack/cli.ts', ...args],
      { cwd: repoRoot, timeout: 60_000, env: { ...process.env, FLEETHOOK_STACK_HOME: home, FLEETHOOK_STACK_REDIS_PORT: String(redisPort), FLEETHOOK_STACK_CACHE: sharedCache } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function status(...extra: string[]): Promise<{ code: number; lines: StatusLine[] }> {
  const { code, stdout } = await cli('status', '--json', ...extra);
  return { code, lines: JSON.parse(stdout) as StatusLine[] };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('stack:status', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-stack-'));
    redisPort = await freePort();
  });

  afterAll(async () => {
    await cli('down', '--only', 'redis');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('reports a component down once its process is killed, and exits non-zero', async () => {
    const up = await cli('up', '--only', 'redis');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`redis://127.0.0.1:${redisPort}`);

    const before = await status('--only', 'redis');
    expect(before.code).toBe(0);
    expect(before.lines).toMatchObject([{ name: 'redis', up: true, pidAlive: true, portOpen: true }]);
    const pid = before.lines[0]?.pid;
    expect(pid).toBeTypeOf('number');

    process.kill(pid as number, 'SIGKILL');
    await waitForExit(pid as number);

    const after = await status('--only', 'redis');
    expect(after.code).not.toBe(0);
    expect(after.lines).toMatchObject([{ name: 'redis', up: false, pid, pidAlive: false, portOpen: false }]);
  });

  it('counts a port answering without a live pid of ours as down', async () => {
    // Kafka and the registry were never started in this home; the shared stack may well be
    // answering on their default ports, which must not pass for ours.
    const all = await status();
    expect(all.code).not.toBe(0);
    const byName = new Map(all.lines.map((l) => [l.name, l]));
    expect(byName.get('kafka')).toMatchObject({ up: false, pidAlive: false });
    expect(byName.get('registry')).toMatchObject({ up: false, pidAlive: false });
  });

  it('refuses to start on a port some other process holds', async () => {
    const squatter = net.createServer().listen(redisPort, '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      const up = await cli('up', '--only', 'redis');
      expect(up.code).not.toBe(0);
      expect(up.stderr).toContain(`127.0.0.1:${redisPort} is already in use`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('starts the killed component again on the next stack:up', async () => {
    const up = await cli('up', '--only', 'redis');
    expect(up.code, up.stderr).toBe(0);
    const again = await status('--only', 'redis');
    expect(again.code).toBe(0);
    expect(again.lines[0]?.up).toBe(true);
  });
});

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    if (!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pid ${pid} still running after SIGKILL`);
}
