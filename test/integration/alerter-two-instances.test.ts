import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpAlerterHarness } from '../helpers/smtp-alerter-harness.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';

const intervalMs = 2_000;
const sink = new SmtpSinkClient();
let h: SmtpAlerterHarness;
const subs = Array.from({ length: 8 }, (_, i) => `sub_two_${i}`);

describe('two alerter instances', () => {
  beforeAll(async () => {
    h = await SmtpAlerterHarness.create({ FLEETHOOK_ALERTER_REMINDER_INTERVAL_MS: String(intervalMs), FLEETHOOK_ALERTER_REMINDER_CHECK_MS: '100' });
  });
  afterAll(async () => h?.close());

  it('send every alert once, also across the rebalance when the second joins (state rebuilt from the partition)', async () => {
    await h.startAlerter();
    await h.waitForAssignment(1);
    await h.produce(...subs.map((s) => h.event(s, 'parked')));
    for (const s of subs) await sink.waitFor(h.address(s), (ms) => ms.length >= 1, `first alert for ${s}`);

    // The second instance takes over half the partitions mid-run; their state is replayed, reminders go on.
    await h.startAlerter();
    await h.waitForAssignment(2);
    for (const s of subs) await sink.waitFor(h.address(s), (ms) => ms.filter((m) => m.subject.includes('Reminder')).length >= 2, `reminders for ${s}`, 15_000);
    await h.produce(...subs.map((s) => h.event(s, 'recovered')));
    for (const s of subs) await sink.waitFor(h.address(s), (ms) => ms.some((m) => m.subject.includes('recovered')), `recovery of ${s}`);
    await new Promise((r) => setTimeout(r, intervalMs));

    const ports = h.apps.map((a) => a.port);
    for (const s of subs) {
      const ms = await sink.messages(h.address(s));
      const kinds = ms.map((m) => (m.subject.includes('Reminder') ? `reminder ${/reminder (\d+)/.exec(m.text)?.[1]}` : m.subject.includes('recovered') ? 'recovered' : 'first'));
      expect(kinds.filter((k) => k === 'first'), `${s}: ${kinds.join(', ')}`).toHaveLength(1);
      expect(kinds.filter((k) => k === 'recovered'), `${s}: ${kinds.join(', ')}`).toHaveLength(1);
      expect(new Set(kinds).size, `${s}: no alert twice: ${kinds.join(', ')}`).toBe(kinds.length);
      expect(kinds.at(-1)).toBe('recovered');
    }
    // Both instances did part of the work.
    const sentBy = await Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/metrics`).then((r) => r.text())));
    for (const text of sentBy) expect(text).toMatch(/fleethook_alerter_emails_sent_total\{kind="(reminder|recovery)"\} [1-9]/);
  });
});
