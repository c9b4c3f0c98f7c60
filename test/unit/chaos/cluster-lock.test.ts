import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireClusterLock } from '../../helpers/cluster-lock.js';

describe('acquireClusterLock (one user of the 3-node cluster per stack home)', () => {
  let home: string;
  const saved = process.env.FLEETHOOK_STACK_HOME;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-lock-'));
    process.env.FLEETHOOK_STACK_HOME = home;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.FLEETHOOK_STACK_HOME;
    else process.env.FLEETHOOK_STACK_HOME = saved;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('refuses a second user while the owner lives, and lets the next one in after the release', async () => {
    const release = await acquireClusterLock('first', 1_000);
    expect(fs.readFileSync(path.join(home, 'run', 'cluster.lock'), 'utf8')).toBe(`${process.pid} first\n`);
    await expect(acquireClusterLock('second', 500)).rejects.toThrow(/still in use by pid/);
    release();
    expect(fs.existsSync(path.join(home, 'run', 'cluster.lock'))).toBe(false);
    (await acquireClusterLock('third', 500))();
  });

  it('takes over a lock whose owner is dead, or that is unreadable', async () => {
    fs.mkdirSync(path.join(home, 'run'), { recursive: true });
    for (const stale of ['2147483000 dead run\n', 'garbage', '']) {
      fs.writeFileSync(path.join(home, 'run', 'cluster.lock'), stale);
      (await acquireClusterLock('next', 500))();
    }
  });
});
