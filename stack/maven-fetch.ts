import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FleethookError } from '../services/shared/errors.js';
import { readLogTail } from './log-tail.js';
import type { StackPaths } from './stack-paths.js';
import { stackVersions } from './stack-versions.js';

/** The pinned dependency plugin goal, e.g. `copy-dependencies`. */
export function dependencyGoal(goal: string): string {
  return `org.apache.maven.plugins:maven-dependency-plugin:${stackVersions.mavenDependencyPlugin}:${goal}`;
}

/**
 * Runs the installed Maven against the stack's own local repository (so a fresh machine
 * fetches exactly what this one did), logging to `<logs>/fetch.log`.
 */
export function runMaven(paths: StackPaths, args: readonly string[], cwd?: string): Promise<void> {
  // One Maven at a time: two writing the same local repository can corrupt it.
  const run = mavenQueue.then(() => runMavenNow(paths, args, cwd));
  mavenQueue = run.catch(() => undefined);
  return run;
}

let mavenQueue: Promise<unknown> = Promise.resolve();

async function runMavenNow(paths: StackPaths, args: readonly string[], cwd: string | undefined): Promise<void> {
  const logFile = path.join(paths.logs, 'fetch.log');
  fs.mkdirSync(paths.logs, { recursive: true });
  fs.mkdirSync(paths.mavenRepo, { recursive: true });
  const fullArgs = ['-B', '--no-transfer-progress', `-Dmaven.repo.local=${paths.mavenRepo}`, ...args];
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} mvn ${fullArgs.join(' ')}\n`);
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn('mvn', fullArgs, { stdio: ['ignore', out, out], ...(cwd === undefined ? {} : { cwd }) });
    child.once('error', (err) =>
      reject(new FleethookError('STACK_FETCH_FAILED', `cannot run mvn (is Maven installed?): ${err.message}`, { cause: err })),
    );
    child.once('close', (code) => resolve(code ?? 1));
  }).finally(() => fs.closeSync(out));
  if (exitCode !== 0) {
    throw new FleethookError(
      'STACK_FETCH_FAILED',
      `mvn exited with ${exitCode}; see ${logFile}:\n${readLogTail(logFile, 25)}`,
      { retriable: true },
    );
  }
}

/** Makes `finalDir` appear at once: fill a sibling temp dir, then rename it into place. */
export async function fillAtomically(finalDir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmpDir = `${finalDir}.tmp-${process.pid}`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  try {
    await fill(tmpDir);
    fs.rmSync(finalDir, { recursive: true, force: true });
    fs.renameSync(tmpDir, finalDir);
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}
