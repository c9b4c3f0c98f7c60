import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../../stack/process-control.js';
import { resolveStackPaths } from '../../stack/stack-paths.js';

/**
 * One user of the 3-node cluster at a time per stack home. Its ports and data folder are
 * fixed, so two test runs on one machine (two worktrees, or a cluster test and a chaos run
 * with --cluster) stopped, killed and wiped each other's brokers mid-test. The lock is a
 * file holding the owner's pid, created exclusively; one whose owner is dead is taken over.
 * Returns the release function; waits up to `timeoutMs` for the lock, then throws.
 */
export async function acquireClusterLock(what: string, timeoutMs = 15 * 60_000): Promise<() => void> {
  const paths = resolveStackPaths();
  fs.mkdirSync(paths.run, { recursive: true });
  const file = path.join(paths.run, 'cluster.lock');
  const deadline = Date.now() + timeoutMs;
  let reported = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid} ${what}\n`, { flag: 'wx' });
      return () => {
        if (readOwner(file) === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    if (owner === null || !isProcessAlive(owner)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the 3-node cluster is still in use by pid ${owner} (${file}) after ${timeoutMs} ms`);
    if (!reported) {
      process.stdout.write(`waiting for the 3-node cluster: in use by pid ${owner} (${file})\n`);
      reported = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function readOwner(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split(' ')[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
