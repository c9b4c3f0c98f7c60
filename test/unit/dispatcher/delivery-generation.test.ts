import { describe, expect, it } from 'vitest';
import { DeliveryGeneration } from '../../../services/dispatcher/live/delivery-generation.js';
import { createLogger } from '../../../services/shared/logger.js';

const logger = createLogger('test', { level: 'error', write: () => undefined });

describe('DeliveryGeneration: its Kafka writes and its end', () => {
  it('writesSettled waits for a write in flight when the generation ends, and no write starts after the end', async () => {
    const gen = new DeliveryGeneration(1, [0], 4, new Map(), logger);
    let ack: (v: string) => void = () => undefined;
    const written = gen.durably(() => new Promise<string>((r) => { ack = r; }));
    void gen.end(1_000);
    let settled = false;
    const waiting = gen.writesSettled().then(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    ack('offset 7');
    await waiting;
    expect(settled).toBe(true);
    expect(await written).toBe('offset 7');
    let started = false;
    expect(await gen.durably(async () => { started = true; return 1; })).toBeNull();
    expect(started).toBe(false);
  });

  it('a failed write is retried and is no longer in flight once it gave up at the end', async () => {
    const gen = new DeliveryGeneration(1, [0], 4, new Map(), logger);
    let calls = 0;
    const result = gen.durably(async () => { calls++; throw new Error('broker down'); });
    await new Promise((r) => setTimeout(r, 50));
    void gen.end(1_000);
    expect(await result).toBeNull();
    await gen.writesSettled();
    expect(calls).toBeGreaterThanOrEqual(1);
  });
});

describe("DeliveryGeneration: a subscription's serial tasks", () => {
  it("once a task is left to the next owner (abandoned), the subscription's later tasks are left too; other subscriptions go on", async () => {
    const gen = new DeliveryGeneration(1, [0], 4, new Map(), logger);
    gen.stopRetries();
    const ran: string[] = [];
    const results = await Promise.all([
      gen.serial('sub_a', async () => { ran.push('a1'); return { kind: 'abandoned' }; }),
      gen.serial('sub_a', async () => { ran.push('a2'); return { kind: 'delivered', attempts: 1 }; }),
      gen.serial('sub_b', async () => { ran.push('b1'); return { kind: 'delivered', attempts: 1 }; }),
    ]);
    expect(ran.sort()).toEqual(['a1', 'b1']);
    expect(results.map((r) => r.kind)).toEqual(['abandoned', 'abandoned', 'delivered']);
    // Also a task queued later, and one after a task that threw.
    expect((await gen.serial('sub_a', async () => { ran.push('a3'); return { kind: 'handed' }; })).kind).toBe('abandoned');
    await expect(gen.serial('sub_c', async () => { throw new Error('bug'); })).rejects.toThrow('bug');
    expect((await gen.serial('sub_c', async () => { ran.push('c2'); return { kind: 'handed' }; })).kind).toBe('abandoned');
    expect(ran).not.toContain('a3');
    expect(ran).not.toContain('c2');
  });

  it("a new generation runs the subscription's tasks again (the next owner is this process after a rebalance)", async () => {
    const running = new Map<string, Promise<unknown>>();
    const old = new DeliveryGeneration(1, [0], 4, running, logger);
    await old.serial('sub_a', async () => ({ kind: 'abandoned' }));
    const next = new DeliveryGeneration(2, [0], 4, running, logger);
    expect((await next.serial('sub_a', async () => ({ kind: 'delivered', attempts: 1 }))).kind).toBe('delivered');
  });

  it("says what a subscription's queue holds: the task running, for how long, and how many wait behind it", async () => {
    const gen = new DeliveryGeneration(1, [0], 4, new Map(), logger);
    expect(gen.workOf('sub_a', Date.now())).toEqual({ running: null, runningForMs: null, waiting: 0, leftToNextOwner: false });
    let release = (): void => undefined;
    const held = new Promise<void>((r) => { release = r; });
    const first = gen.serial('sub_a', async () => { await held; return { kind: 'handed' }; }, 'drain task');
    const second = gen.serial('sub_a', async () => ({ kind: 'handed' }), 'episode check');
    await new Promise((r) => setTimeout(r, 20));
    const work = gen.workOf('sub_a', Date.now());
    expect(work).toMatchObject({ running: 'drain task', waiting: 1, leftToNextOwner: false });
    expect(work.runningForMs).toBeGreaterThanOrEqual(10);
    expect(gen.workOf('sub_b', Date.now()).running).toBeNull();
    release();
    await Promise.all([first, second]);
    expect(gen.workOf('sub_a', Date.now())).toEqual({ running: null, runningForMs: null, waiting: 0, leftToNextOwner: false });
  });
});
