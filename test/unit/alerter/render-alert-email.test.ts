import { describe, expect, it } from 'vitest';
import type { PlannedAlert } from '../../../services/alerter/decide-alerts.js';
import { renderAlertEmail, safeUrl } from '../../../services/alerter/render-alert-email.js';
import { failureEvent } from './failure-event-fixture.js';

const alert = (over: Partial<PlannedAlert> = {}, ev = {}): PlannedAlert => ({
  kind: 'first_alert', dedupeId: 'event:fev_1', event: failureEvent(ev), reminderNumber: null, ...over,
});

describe('renderAlertEmail', () => {
  it('first alert: scannable subject, and everything the owner needs in both parts', () => {
    const m = renderAlertEmail(alert());
    expect(m.subject).toBe('[fleethook] Webhook "Fleet GPS" is failing — deliveries paused since 2026-05-04 10:00 UTC');
    for (const part of [m.text, m.html]) {
      expect(part).toContain('Fleet GPS');
      expect(part).toContain('sub_1');
      expect(part).toContain('https://hooks.example.com/in');
      expect(part).toContain('2026-05-04 10:00 UTC'); // failing since
      expect(part).toContain('endpoint answered 503');
      expect(part).toContain('42 items waiting');
      expect(part).toContain('2026-05-04 10:05 UTC'); // next retry
      expect(part).toContain('What to do');
    }
  });

  it.each([
    ['reminder', 'Reminder: Webhook "Fleet GPS" still failing since 2026-05-04 10:00 UTC'],
    ['recovery', 'Webhook "Fleet GPS" recovered'],
    ['paused', 'Webhook "Fleet GPS" paused'],
    ['verification_failed', 'Webhook "Fleet GPS" failed verification'],
  ] as const)('%s subject', (kind, text) => {
    expect(renderAlertEmail(alert({ kind, reminderNumber: kind === 'reminder' ? 2 : null })).subject).toContain(text);
  });

  it('deactivation says how many items were discarded and where they went', () => {
    const m = renderAlertEmail(alert({ kind: 'deactivation' }, { kind: 'deactivated', discarded: { items: 1234, topic: 'webhook.audit' } }));
    expect(m.subject).toBe('[fleethook] Webhook "Fleet GPS" deactivated — 1234 undelivered items discarded');
    expect(m.text).toContain('1234 items, written to webhook.audit');
    expect(m.text).toContain('reactivate');
  });

  it('never shows credentials of the URL', () => {
    const m = renderAlertEmail(alert({}, { url: 'https://bob:hunter2@hooks.example.com/in?token=abc123&v=1' }));
    for (const part of [m.text, m.html, m.subject]) {
      expect(part).not.toContain('hunter2');
      expect(part).not.toContain('bob:');
      expect(part).not.toContain('abc123');
    }
    expect(m.text).toContain('v=1');
    expect(safeUrl('not a url //user:pw@host/x')).not.toContain('pw@');
  });

  it('escapes HTML in names and errors', () => {
    const m = renderAlertEmail(alert({}, { subscriptionName: '<script>alert(1)</script>', lastError: 'bad "quote" & <tag>' }));
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(m.html).toContain('bad &quot;quote&quot; &amp; &lt;tag&gt;');
    expect(m.text).toContain('<script>alert(1)</script>'); // plain text is not HTML
  });
});
