import fs from 'node:fs';
import path from 'node:path';
import { FleethookError } from '../services/shared/errors.js';
import { isProcessAlive } from './process-control.js';
import { waitUntil } from './wait-until.js';

/**
 * Runs `task` while holding `<run>/<name>.lock`, so two `stack:up` at once cannot both start
 * a component (the loser would overwrite the winner's pid file). A lock whose holder died is
 * taken over.
 */
export async function withStartLock<T>(runDir: string, name: string, timeoutMs: number, task: () => Promise<T>): Promise<T> {
  fs.mkdirSync(runDir, { recursive: true });
  const lockFile = path.join(runDir, `${name}.lock`);
  const acquired = await waitUntil(async () => (tryAcquire(lockFile) ? true : undefined), { timeoutMs, intervalMs: 250 });
  if (!acquired) {
    throw new FleethookError('STACK_LOCKED', `${name}: another stack:up held ${lockFile} for over ${timeoutMs} ms`);
  }
  try {
    return await task();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function tryAcquire(lockFile: string): boolean {
  try {
    fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number(fs.readFileSync(lockFile, 'utf8'));
  if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) return false;
  fs.rmSync(lockFile, { force: true }); // stale: its holder is gone
  return false;
}
