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
