import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/dispatcher/config.js';

const base = { FLEETHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` };

describe('match stage and supervision settings in the dispatcher config', () => {
  it('defaults: records 30 days back to 1 h ahead, restarts from 1 s to 30 s, stalled after 60 s', () => {
    expect(loadConfig(base)).toMatchObject({
      maxRecordAgeMs: 30 * 86_400_000, maxRecordAheadMs: 3_600_000, consumerRestartMinMs: 1_000, consumerRestartMaxMs: 30_000, stallAfterMs: 60_000,
    });
  });

  it('reads every variable', () => {
    expect(loadConfig({
      ...base, FLEETHOOK_DISPATCHER_MAX_RECORD_AGE_MS: '86400000', FLEETHOOK_DISPATCHER_MAX_RECORD_AHEAD_MS: '0',
      FLEETHOOK_DISPATCHER_CONSUMER_RESTART_MIN_MS: '50', FLEETHOOK_DISPATCHER_CONSUMER_RESTART_MAX_MS: '500', FLEETHOOK_DISPATCHER_STALL_AFTER_MS: '5000',
    })).toMatchObject({ maxRecordAgeMs: 86_400_000, maxRecordAheadMs: 0, consumerRestartMinMs: 50, consumerRestartMaxMs: 500, stallAfterMs: 5_000 });
  });

  it('reports every bad value at once, by name', () => {
    let message = '';
    try {
      loadConfig({
        ...base, FLEETHOOK_DISPATCHER_MAX_RECORD_AGE_MS: 'a month', FLEETHOOK_DISPATCHER_MAX_RECORD_AHEAD_MS: '-1',
        FLEETHOOK_DISPATCHER_CONSUMER_RESTART_MIN_MS: '2000', FLEETHOOK_DISPATCHER_CONSUMER_RESTART_MAX_MS: '1000', FLEETHOOK_DISPATCHER_STALL_AFTER_MS: '10',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['MAX_RECORD_AGE_MS', 'MAX_RECORD_AHEAD_MS', 'CONSUMER_RESTART_MAX_MS must be at least', 'STALL_AFTER_MS']) {
      expect(message).toContain(`FLEETHOOK_DISPATCHER_${name}`);
    }
  });
});

describe('origin look-back in the dispatcher config', () => {
  it('reads back 10,000 records by default; 0 turns it off; a negative or non-numeric value is refused by name', () => {
    expect(loadConfig(base).originLookbackRecords).toBe(10_000);
    expect(loadConfig({ ...base, FLEETHOOK_DISPATCHER_ORIGIN_LOOKBACK_RECORDS: '0' }).originLookbackRecords).toBe(0);
    for (const bad of ['-1', 'lots']) {
      expect(() => loadConfig({ ...base, FLEETHOOK_DISPATCHER_ORIGIN_LOOKBACK_RECORDS: bad })).toThrow(/FLEETHOOK_DISPATCHER_ORIGIN_LOOKBACK_RECORDS/);
    }
  });
});
