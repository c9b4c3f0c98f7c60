import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitUntil } from './wait-until.js';

export interface DetachedCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts a process in its own session with stdout and stderr appended to `logFile`, so it
 * outlives the CLI that started it. Resolves with its pid once it has been spawned.
 */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  readonly pid: number;
  /** How it ended, once it has; undefined while it runs. Known only to the process that spawned it. */
  exitInfo(): ExitInfo | undefined;
}

export function spawnDetached(cmd: DetachedCommand): Promise<SpawnedProcess> {
  fs.mkdirSync(path.dirname(cmd.logFile), { recursive: true });
  const out = fs.openSync(cmd.logFile, 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} starting: ${cmd.command} ${cmd.args.join(' ')}\n`);
  try {
    const child = spawn(cmd.command, [...cmd.args], {
      cwd: cmd.cwd,
      env: cmd.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    let exit: ExitInfo | undefined;
    child.once('exit', (code, signal) => {
      exit = { code, signal };
    });
    return new Promise((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`cannot start ${cmd.command}: ${err.message}`, { cause: err })));
      child.once('spawn', () => {
        child.unref();
        const pid = child.pid;
        if (pid === undefined) reject(new Error(`cannot start ${cmd.command}: no pid`));
        else resolve({ pid, exitInfo: () => exit });
      });
    });
  } finally {
    fs.closeSync(out);
  }
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/**
 * True when `pid` is a live (not zombie) process whose command line contains `marker`.
 * The marker check keeps a recycled pid from passing for one of ours.
 */
export function isProcessAlive(pid: number, marker?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone; EPERM: it exists but belongs to someone else, so it is not ours either way.
    return false;
  }
  let stat: string;
  let cmdline: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return true; // no procfs: fall back to the signal check alone
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X') return false;
  return marker === undefined || cmdline.includes(marker);
}

export type StopOutcome = 'not-running' | 'stopped' | 'killed';

/** SIGTERM, wait up to `graceMs` for the process to exit, then SIGKILL. */
export async function stopProcess(pid: number, marker: string, graceMs = 30_000): Promise<StopOutcome> {
  if (!isProcessAlive(pid, marker)) return 'not-running';
  signal(pid, 'SIGTERM');
  const gone = await waitUntil(async () => (isProcessAlive(pid, marker) ? undefined : true), {
    timeoutMs: graceMs,
    intervalMs: 200,
  });
  if (gone) return 'stopped';
  signal(pid, 'SIGKILL');
  await waitUntil(async () => (isProcessAlive(pid, marker) ? undefined : true), { timeoutMs: 5_000, intervalMs: 100 });
  return 'killed';
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
