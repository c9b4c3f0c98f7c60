import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpAlerterHarness } from '../helpers/smtp-alerter-harness.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';

const intervalMs = 2_000;
const sink = new SmtpSinkClient();
let h: SmtpAlerterHarness;

const subjects = (ms: { subject: string }[]): string[] => ms.map((m) => m.subject);
const count = (ms: { subject: string }[], part: string): number => ms.filter((m) => m.subject.includes(part)).length;

describe('alerter e-mails a failing subscription through its whole run (real Kafka, Redis, SMTP)', () => {
  beforeAll(async () => {
    h = await SmtpAlerterHarness.create({ FLEETHOOK_ALERTER_REMINDER_INTERVAL_MS: String(intervalMs), FLEETHOOK_ALERTER_REMINDER_CHECK_MS: '100' });
    await h.startAlerter();
    await h.waitForAssignment(1);
  });
  afterAll(async () => h?.close());

  it('first alert once, one reminder per compressed hour (counted exactly), then a recovery notice and no more reminders', async () => {
    const to = h.address('sub_run');
    const parked = h.event('sub_run', 'parked', { subscriptionName: 'Fleet <GPS>', url: 'https://hooks.example.test/in?token=s3cret', nextRetryAt: new Date(Date.now() + 300_000).toISOString() });
    const anchorMs = Date.parse(parked.firstFailureAt ?? '');
    await h.produce(parked);
    const first = await sink.waitFor(to, (ms) => ms.length >= 1, 'first alert');
    expect(first[0]?.subject).toContain('[fleethook] Webhook "Fleet <GPS>" is failing — deliveries paused since');
    expect(first[0]?.text).toContain('sub_run');
    expect(first[0]?.text).not.toContain('s3cret');
    expect(first[0]?.html).toContain('Fleet &lt;GPS&gt;');

    // A retry failing again mid-run updates what reminders show, and sends nothing by itself.
    await h.produce(h.event('sub_run', 'still_failing', { firstFailureAt: parked.firstFailureAt, backlogSize: 777 }));
    const withReminders = await sink.waitFor(to, (ms) => count(ms, 'Reminder') >= 3, 'three reminders', 15_000);
    const recoveredAtMs = Date.now();
    await h.produce(h.event('sub_run', 'recovered'));
    await sink.waitFor(to, (ms) => count(ms, 'recovered') === 1, 'recovery notice');
    await new Promise((r) => setTimeout(r, intervalMs * 1.5)); // a further slot passes: no reminder after recovery
    const all = await sink.messages(to);

    // Reminder n is due at anchor + n × interval; the first alert covers the slots already due when it went out.
    const slotAt = (ms: number): number => Math.floor((ms - anchorMs) / intervalMs);
    const firstSlot = slotAt(Date.parse(first[0]?.receivedAt ?? ''));
    const expected = Array.from({ length: slotAt(recoveredAtMs) - firstSlot }, (_, i) => String(firstSlot + i + 1));
    const reminders = all.filter((m) => m.subject.includes('Reminder'));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(reminders.map((m) => /reminder (\d+)/.exec(m.text)?.[1]), subjects(all).join('\n')).toEqual(expected);
    expect(count(all, 'is failing')).toBe(1);
    expect(count(all, 'recovered')).toBe(1);
    expect(all.at(-1)?.subject).toContain('recovered');
    expect(reminders.at(-1)?.text).toContain('777 items waiting');
    // Wall clock, not retry cadence: each reminder lands close to its slot.
    reminders.forEach((m, i) => expect(Math.abs(Date.parse(m.receivedAt) - (anchorMs + (firstSlot + i + 1) * intervalMs))).toBeLessThan(1_000));
    expect(withReminders.length).toBeGreaterThanOrEqual(4);
  });

  it('deactivation notice says how many items were discarded and where', async () => {
    const to = h.address('sub_gone');
    await h.produce(h.event('sub_gone', 'parked'));
    await h.produce(h.event('sub_gone', 'deactivated', { discarded: { items: 321, topic: `${h.prefix}webhook.audit` } }));
    const ms = await sink.waitFor(to, (m) => count(m, 'deactivated') === 1, 'deactivation notice');
    const notice = ms.find((m) => m.subject.includes('deactivated'));
    expect(notice?.subject).toBe('[fleethook] Webhook "hook sub_gone" deactivated — 321 undelivered items discarded');
    expect(notice?.text).toContain(`321 items, written to ${h.prefix}webhook.audit`);
  });

  it('a rejected recipient (SMTP 550) does not block the others, and later alerts still flow', async () => {
    const good = [h.address('alice'), h.address('bob')];
    const bad = h.address('reject');
    const emails = [good[0] ?? '', bad, good[1] ?? ''];
    await h.produce(h.event('sub_mixed', 'parked', { alertEmails: emails }));
    await h.produce(h.event('sub_mixed', 'recovered', { alertEmails: emails }));
    for (const to of good) {
      const ms = await sink.waitFor(to, (m) => m.length === 2, `both alerts to ${to}`);
      expect(subjects(ms).map((s) => s.includes('is failing') || s.includes('recovered'))).toEqual([true, true]);
    }
    expect(await sink.messages(bad)).toEqual([]);
    const metrics = await fetch(`http://127.0.0.1:${h.apps[0]?.port}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/fleethook_alerter_emails_failed_total\{kind="first_alert",reason="rejected"\} 1/);
    expect(metrics).toMatch(/fleethook_alerter_emails_failed_total\{kind="recovery",reason="rejected"\} 1/);
  });

  it('serves /healthz and /readyz', async () => {
    const port = h.apps[0]?.port;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });
});
