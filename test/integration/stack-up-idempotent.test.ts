import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { componentNames } from '../../stack/main-stack.js';
import { readPidRecord } from '../../stack/pid-record.js';
import { repoRoot, resolveStackPaths } from '../../stack/stack-paths.js';

const execFileAsync = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

interface UpLine {
  readonly name: string;
  readonly kind: 'started' | 'already-running';
  readonly pid: number;
}

async function stackUpJson(): Promise<UpLine[]> {
  const { stdout } = await execFileAsync(tsx, ['stack/cli.ts', 'up', '--json'], { cwd: repoRoot, timeout: 240_000 });
  return JSON.parse(stdout) as UpLine[];
}

/** Processes whose command line contains `marker`: a second copy would show up here. */
function processesWith(marker: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('stack:up', () => {
  it('a second stack:up starts nothing and leaves the same processes running', { timeout: 300_000 }, async () => {
    // The shared stack on the fixed ports: started here if it is not up yet, never stopped.
    const first = await stackUpJson();
    const second = await stackUpJson();

    expect(second.map((r) => r.kind)).toEqual(componentNames.map(() => 'already-running'));
    expect(second.map((r) => [r.name, r.pid])).toEqual(first.map((r) => [r.name, r.pid]));

    const run = resolveStackPaths().run;
    for (const { name, pid } of second) {
      const record = readPidRecord(run, name);
      expect(record?.pid).toBe(pid);
      expect(processesWith(record?.marker ?? '<no pid file>'), `${name} processes`).toEqual([pid]);
    }
  });
});
