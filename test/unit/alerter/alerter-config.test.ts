import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/alerter/config.js';
import { ConfigError } from '../../../services/shared/errors.js';

describe('alerter loadConfig', () => {
  it('defaults to the local stack and an hourly reminder', () => {
    const c = loadConfig({});
    expect(c.smtp).toMatchObject({ host: '127.0.0.1', port: 11_025, tls: 'none', user: undefined });
    expect(c.reminderIntervalMs).toBe(3_600_000);
    expect(c.topicPrefix).toBe('');
  });

  it('reads the compressed reminder interval and SMTP settings', () => {
    const c = loadConfig({
      FLEETHOOK_ALERTER_REMINDER_INTERVAL_MS: '2000', FLEETHOOK_ALERTER_SMTP_TLS: 'starttls',
      FLEETHOOK_ALERTER_SMTP_USER: 'u', FLEETHOOK_ALERTER_SMTP_PASSWORD: 'p', FLEETHOOK_TOPIC_PREFIX: 't.',
    });
    expect(c.reminderIntervalMs).toBe(2_000);
    expect(c.reminderCheckMs).toBe(200);
    expect(c.smtp).toMatchObject({ tls: 'starttls', user: 'u', password: 'p' });
    expect(c.topicPrefix).toBe('t.');
  });

  it('reports every problem at once, by variable name', () => {
    try {
      loadConfig({ FLEETHOOK_ALERTER_SMTP_TLS: 'maybe', FLEETHOOK_ALERTER_SMTP_USER: 'u', FLEETHOOK_ALERTER_SMTP_PORT: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      expect(text).toContain('FLEETHOOK_ALERTER_SMTP_TLS');
      expect(text).toContain('FLEETHOOK_ALERTER_SMTP_PASSWORD');
      expect(text).toContain('FLEETHOOK_ALERTER_SMTP_PORT');
    }
  });
});
