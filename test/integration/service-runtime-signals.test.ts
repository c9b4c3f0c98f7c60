import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack-paths.js';
import { waitFor } from '../helpers/wait-for.js';

// The service main every service uses (services/shared/runtime/run-service.ts), on a real
// process: the unit tests check the decisions, this checks the signal and exit wiring.
const children: ChildProcess[] = [];

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'helpers', 'runtime-fixture-service.ts')], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLEETHOOK_ADMIN_LOG_LEVEL: 'info', ...env },
  });
  children.push(child);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (l) => lines.push(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  return { child, lines, exited };
}

const ready = (r: Run): Promise<unknown> => waitFor(() => r.lines.find((l) => l.startsWith('{"msg":"fixture ready"')), { timeoutMs: 30_000, intervalMs: 50, what: 'fixture ready' });

describe('service main on a real process', () => {
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('prints its ready line, and on SIGTERM closes and exits 0', async () => {
    const r = run({ FLEETHOOK_ADMIN_FIXTURE_CLOSE_MS: '200' });
    await ready(r);
    r.child.kill('SIGTERM');
    expect(await r.exited).toMatchObject({ code: 0, signal: null });
    expect(r.lines.some((l) => l.includes('"msg":"shutting down"') && l.includes('"reason":"SIGTERM"'))).toBe(true);
  });

  it('a second SIGINT exits 1 at once, while the first shutdown still runs', async () => {
    const r = run({ FLEETHOOK_ADMIN_FIXTURE_DEADLINE_MS: '60000' });
    await ready(r);
    r.child.kill('SIGINT');
    await waitFor(() => r.lines.some((l) => l.includes('"msg":"shutting down"')), { timeoutMs: 10_000, intervalMs: 20, what: 'the shutdown to begin' });
    const sentAt = Date.now();
    r.child.kill('SIGINT');
    const exit = await r.exited;
    expect(exit).toMatchObject({ code: 1, signal: null });
    // Long before the 60 s deadline: the second signal, not the deadline, ended it.
    expect(exit.atMs - sentAt).toBeLessThan(30_000);
    expect(r.lines.some((l) => l.includes('second signal'))).toBe(true);
  });

  for (const [fail, what] of [['throw', 'uncaught exception'], ['reject', 'unhandled promise rejection']] as const) {
    it(`a programming error that escapes every handler (${what}) is logged as one JSON line with its stack, and the process exits 1`, async () => {
      const r = run({ FLEETHOOK_ADMIN_FIXTURE_FAIL: fail });
      await ready(r);
      expect(await r.exited).toMatchObject({ code: 1, signal: null });
      const line = r.lines.find((l) => l.includes(`"msg":"fatal: ${what}; exiting"`));
      expect(line, r.lines.join('\n')).toBeDefined();
      const logged = JSON.parse(line as string) as { level: string; err: string; stack: string };
      expect(logged.level).toBe('error');
      expect(logged.err).toMatch(/fixture (bug in a timer|rejection nobody awaited)/);
      expect(logged.stack).toContain('runtime-fixture-service');
    });
  }

  it('a shutdown that outlives its deadline exits 1 at the deadline', async () => {
    const r = run({ FLEETHOOK_ADMIN_FIXTURE_DEADLINE_MS: '300' });
    await ready(r);
    r.child.kill('SIGTERM');
    expect(await r.exited).toMatchObject({ code: 1, signal: null });
    expect(r.lines.some((l) => l.includes('shutdown did not finish within its deadline'))).toBe(true);
  });

  it('a bad configuration is reported by variable name before anything starts, exit 1', async () => {
    const r = run({ FLEETHOOK_ADMIN_LOG_LEVEL: 'loud', FLEETHOOK_ADMIN_FIXTURE_DEADLINE_MS: 'soon' });
    expect((await r.exited).code).toBe(1);
    const out = r.lines.join('\n');
    expect(out).toContain('fixture failed to start: invalid configuration:');
    expect(out).toContain('FLEETHOOK_ADMIN_LOG_LEVEL must be one of debug, info, warn, error, got "loud"');
    expect(out).toContain('FLEETHOOK_ADMIN_FIXTURE_DEADLINE_MS must be an integer, got "soon"');
    expect(out).not.toContain('fixture ready');
  });
});
