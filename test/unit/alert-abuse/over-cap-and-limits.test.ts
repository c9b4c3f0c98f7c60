import { describe, expect, it } from 'vitest';
import { loadConfig as loadAdminConfig } from '../../../services/admin-api/config.js';
import { EndpointCallLimiter } from '../../../services/admin-api/endpoint-call-limiter.js';
import { alertKinds } from '../../../services/alerter/decide-alerts.js';
import { loadConfig as loadAlerterConfig } from '../../../services/alerter/config.js';
import { overCapAction } from '../../../services/alerter/over-cap-action.js';
import { ConfigError } from '../../../services/shared/errors.js';
import { createLogger } from '../../../services/shared/logger.js';

const adminBase = { FLEETHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`, FLEETHOOK_ADMIN_OPERATOR_KEY: 'operator-key-0123456789' };
const problemsOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('over the per-address cap', () => {
  it.each([
    ['first_alert', 'defer'], ['deactivation', 'defer'], ['paused', 'defer'],
    ['reminder', 'drop'], ['recovery', 'drop'], ['verification_failed', 'drop'], ['confirmation', 'drop'],
  ] as const)('%s → %s', (kind, action) => {
    expect(overCapAction(kind)).toBe(action);
  });

  it('covers every alert kind', () => {
    for (const kind of alertKinds) expect(['defer', 'drop']).toContain(overCapAction(kind));
  });
});

describe('configuration of the limits, caps and confirmation', () => {
  it('defaults: 5 verify and 5 test calls a minute, 7-day links; alerter requires confirmation, 20 alerts and 3 confirmations per address per hour', () => {
    expect(loadAdminConfig(adminBase)).toMatchObject({ verifyLimit: 5, testEventLimit: 5, rateLimitWindowMs: 60_000, alertConfirmationTtlMs: 7 * 86_400_000, publicUrl: 'http://127.0.0.1:8080' });
    expect(loadAlerterConfig({})).toMatchObject({ requireConfirmation: true, addressCap: 20, confirmationCap: 3, addressCapWindowMs: 3_600_000, confirmationsGroupId: 'fleethook-alerter-confirmations' });
    expect(loadAlerterConfig({ FLEETHOOK_ALERTER_GROUP_ID: 'g', FLEETHOOK_ALERTER_REQUIRE_CONFIRMATION: 'false' })).toMatchObject({ requireConfirmation: false, confirmationsGroupId: 'g-confirmations' });
  });

  it('reports every bad value by variable name', () => {
    const admin = problemsOf(() => loadAdminConfig({ ...adminBase, FLEETHOOK_ADMIN_VERIFY_LIMIT: '0', FLEETHOOK_ADMIN_TEST_EVENT_LIMIT: 'many', FLEETHOOK_ADMIN_RATE_LIMIT_WINDOW_MS: '10', FLEETHOOK_ADMIN_PUBLIC_URL: 'ftp://x/?q' }));
    for (const name of ['FLEETHOOK_ADMIN_VERIFY_LIMIT', 'FLEETHOOK_ADMIN_TEST_EVENT_LIMIT', 'FLEETHOOK_ADMIN_RATE_LIMIT_WINDOW_MS', 'FLEETHOOK_ADMIN_PUBLIC_URL']) expect(admin).toContain(name);
    const alerter = problemsOf(() => loadAlerterConfig({ FLEETHOOK_ALERTER_REQUIRE_CONFIRMATION: 'perhaps', FLEETHOOK_ALERTER_ADDRESS_CAP: '0', FLEETHOOK_ALERTER_CONFIRMATION_CAP: '-1', FLEETHOOK_ALERTER_ADDRESS_CAP_WINDOW_MS: '5' }));
    for (const name of ['FLEETHOOK_ALERTER_REQUIRE_CONFIRMATION', 'FLEETHOOK_ALERTER_ADDRESS_CAP', 'FLEETHOOK_ALERTER_CONFIRMATION_CAP', 'FLEETHOOK_ALERTER_ADDRESS_CAP_WINDOW_MS']) expect(alerter).toContain(name);
  });
});

describe('EndpointCallLimiter without Redis', () => {
  it('falls back to a window of its own per call and subscription, and says so', async () => {
    let nowMs = 0;
    const outcomes: string[] = [];
    const limiter = new EndpointCallLimiter({
      window: { take: () => Promise.reject(new Error('ECONNREFUSED')) }, keyPrefix: 'p:', limits: { verify: 2, test: 1, windowMs: 1_000 },
      logger: createLogger('test', { level: 'error', write: () => undefined }), count: (call, outcome) => outcomes.push(`${call}:${outcome}`), nowMs: () => nowMs,
    });
    const kinds = async (call: 'verify' | 'test', sub: string, n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await limiter.take(call, sub)).kind);
      return out;
    };
    expect(await kinds('verify', 'sub_a', 3)).toEqual(['allowed', 'allowed', 'limited']);
    expect(await kinds('test', 'sub_a', 2)).toEqual(['allowed', 'limited']);
    expect(await kinds('verify', 'sub_b', 1)).toEqual(['allowed']);
    nowMs = 400;
    expect(await limiter.take('verify', 'sub_a')).toEqual({ kind: 'limited', count: 2, retryAfterMs: 600 });
    nowMs = 1_000;
    expect(await kinds('verify', 'sub_a', 1)).toEqual(['allowed']);
    expect(outcomes.slice(0, 3)).toEqual(['verify:allowed_local', 'verify:allowed_local', 'verify:limited_local']);
  });
});
