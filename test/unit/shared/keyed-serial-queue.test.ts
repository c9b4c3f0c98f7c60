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
  });
});
