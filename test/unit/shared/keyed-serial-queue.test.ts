import { describe, expect, it } from 'vitest';
import { FleethookError } from '../../../services/shared/errors.js';
import { KeyedSerialQueue } from '../../../services/shared/keyed-serial-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('KeyedSerialQueue', () => {
  it('runs one key strictly in submission order, one task at a time', async () => {
    const queue = new KeyedSerialQueue<string>(10);
    const log: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const tasks = Array.from({ length: 50 }, (_, i) =>
      queue.run('sub_a', async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, i % 3));
        log.push(`a${i}`);
        concurrent--;
        return i;
      }),
    );
    expect(await Promise.all(tasks)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(log).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(maxConcurrent).toBe(1);
  });

  it('runs different keys concurrently up to the global cap', async () => {
    const queue = new KeyedSerialQueue<string>(3);
    const gate = deferred();
    const started: string[] = [];
    const all = ['a', 'b', 'c', 'd', 'e'].map((key) =>
      queue.run(key, async () => {
        started.push(key);
        await gate.promise;
      }),
    );
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(queue.inFlight).toBe(3);
    expect(queue.pending).toBe(2);
    gate.resolve();
    await Promise.all(all);
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(queue.activeKeys).toBe(0);
  });

  it('does not let a hung key hold back other keys', async () => {
    const queue = new KeyedSerialQueue<string>(2);
    const hang = deferred();
    void queue.run('slow', () => hang.promise);
    void queue.run('slow', async () => undefined);
    const done: number[] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => queue.run(`fast${i % 4}`, async () => void done.push(i))));
    expect(done).toHaveLength(20);
    expect(queue.pending).toBe(1); // the second 'slow' task waits behind the hung one
    hang.resolve();
    await queue.onIdle();
    expect(queue.pending).toBe(0);
  });

  it('keeps a key going after one of its tasks fails', async () => {
    const queue = new KeyedSerialQueue<string>(1);
    const failing = queue.run('k', async () => {
      throw new Error('boom');
    });
    const sync = queue.run('k', () => {
      throw new Error('sync boom');
    });
    const next = queue.run('k', async () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(sync).rejects.toThrow('sync boom');
    await expect(next).resolves.toBe('ok');
  });

  it('serves ready keys first come, first served', async () => {
    const queue = new KeyedSerialQueue<string>(1);
    const order: string[] = [];
    const record = (name: string) => async () => void order.push(name);
    await Promise.all([
      queue.run('a', record('a1')),
      queue.run('a', record('a2')),
      queue.run('b', record('b1')),
      queue.run('a', record('a3')),
      queue.run('c', record('c1')),
    ]);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'a3']);
  });

  it('on close rejects what has not started, lets running tasks finish, and refuses new work', async () => {
    const queue = new KeyedSerialQueue<string>(1);
    const gate = deferred();
    const running = queue.run('a', () => gate.promise.then(() => 'finished'));
    const waiting = queue.run('b', async () => 'never');
    await tick();
    queue.close();
    queue.close(); // idempotent
    await expect(waiting).rejects.toMatchObject({ code: 'QUEUE_CLOSED' });
    await expect(queue.run('c', async () => 1)).rejects.toBeInstanceOf(FleethookError);
    let idle = false;
    const idlePromise = queue.onIdle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    gate.resolve();
    await expect(running).resolves.toBe('finished');
    await idlePromise;
    expect(idle).toBe(true);
  });

  it('rejects a cap that is not a positive integer', () => {
    expect(() => new KeyedSerialQueue(0)).toThrow(/maxInFlight/);
    expect(() => new KeyedSerialQueue(1.5)).toThrow(/maxInFlight/);
    expect(() => new KeyedSerialQueue(-1)).toThrow(/maxInFlight/);
    expect(() => new KeyedSerialQueue(Number.NaN)).toThrow(/maxInFlight/);
    expect(() => new KeyedSerialQueue(Number.NEGATIVE_INFINITY)).toThrow(/maxInFlight/);
  });
});

describe('KeyedSerialQueue without a cap (the keyed lock of the admin API and the alerter)', () => {
  it('runs every key at once, each key in submission order, and a failed task does not stop the ones behind it', async () => {
    const lock = new KeyedSerialQueue<string>();
    const gates = Array.from({ length: 200 }, () => deferred());
    const log: string[] = [];
    const runs = gates.map((gate, i) => {
      const key = `k${i % 100}`;
      return lock.run(key, async () => {
        log.push(`start ${key} ${i}`);
        await gate.promise;
        if (i === 3) throw new Error('refused');
        log.push(`end ${key} ${i}`);
        return i;
      });
    });
    await tick();
    // The first task of all 100 keys runs; the second of each key waits for it.
    expect(log).toHaveLength(100);
    expect(lock.inFlight).toBe(100);
    expect(lock.pending).toBe(100);
    for (const g of [...gates].reverse()) g.resolve();
    const settled = await Promise.allSettled(runs);
    expect(settled[3]).toMatchObject({ status: 'rejected', reason: { message: 'refused' } });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(199);
    for (let k = 0; k < 100; k++) {
      const mine = log.filter((l) => l.split(' ')[1] === `k${k}`);
      const expected = k === 3
        ? [`start k3 3`, `start k3 103`, `end k3 103`]
        : [`start k${k} ${k}`, `end k${k} ${k}`, `start k${k} ${k + 100}`, `end k${k} ${k + 100}`];
      expect(mine).toEqual(expected);
    }
  });

  it('isActive tells whether a key has work running or waiting, and forgets idle keys', async () => {
    const lock = new KeyedSerialQueue<number>();
    const gate = deferred();
    expect(lock.isActive(7)).toBe(false);
    const first = lock.run(7, () => gate.promise);
    const second = lock.run(7, async () => 'second');
    expect(lock.isActive(7)).toBe(true);
    expect(lock.isActive(8)).toBe(false);
    gate.resolve();
    await first;
    expect(lock.isActive(7)).toBe(true);
    await expect(second).resolves.toBe('second');
    await lock.onIdle();
    expect(lock.isActive(7)).toBe(false);
    expect(lock.activeKeys).toBe(0);
  });

  it('a task holding one key can take another (a create holds the account, then the subscription)', async () => {
    const lock = new KeyedSerialQueue<string>();
    const order: string[] = [];
    const create = (id: string) => lock.run('account:acc_1', async () => {
      order.push(`count ${id}`);
      return lock.run(id, async () => {
        await tick();
        order.push(`write ${id}`);
        return id;
      });
    });
    expect(await Promise.all([create('sub_a'), create('sub_b')])).toEqual(['sub_a', 'sub_b']);
    expect(order).toEqual(['count sub_a', 'write sub_a', 'count sub_b', 'write sub_b']);
  });
});
