import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/dispatcher/config.js';
import { retrySchedule } from '../../../services/dispatcher/retry/retry-policy.js';

const base = { FLEETHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` };

describe('retry schedule through the dispatcher config', () => {
  it('is real time by default', () => {
    const { policies, lanes } = retrySchedule(loadConfig(base).retryTimeScale);
    expect(policies['standard-7d'].limitMs).toBe(7 * 86_400_000);
    expect(lanes[0]).toEqual({ name: '5m', topic: 'webhook.retry.5m', delayMs: 300_000 });
  });

  it('FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE compresses every delay and limit alike', () => {
    const config = loadConfig({ ...base, FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: '0.00002' });
    const { policies, lanes } = retrySchedule(config.retryTimeScale);
    expect(policies['standard-7d'].limitMs).toBe(12_096);
    expect(policies['pause-24h'].limitMs).toBe(1_728);
    expect(policies['disable-10m']).toMatchObject({ limitMs: 12, delaysMs: [2] });
    expect(lanes.map((l) => l.delayMs)).toEqual([6, 18, 42, 72, 180, 360, 756, 1_512, 3_456, 1_728]);
  });

  it.each(['0', '-1', '2', 'fast', '1e-400'])('rejects %j, naming the variable', (value) => {
    expect(() => loadConfig({ ...base, FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: value })).toThrow(/FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE/);
  });
});
