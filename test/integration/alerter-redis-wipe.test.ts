import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SmtpAlerterHarness } from '../helpers/smtp-alerter-harness.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';
import { stackEnv } from '../helpers/stack-env.js';

const intervalMs = 2_000;
const sink = new SmtpSinkClient();
const count = (ms: { subject: string }[], part: string): number => ms.filter((m) => m.subject.includes(part)).length;
const reminderNumbers = (ms: { subject: string; text: string }[]): number[] =>
  ms.filter((m) => m.subject.includes('Reminder')).map((m) => Number(/reminder (\d+)/.exec(m.text)?.[1]));

describe('alerter whose Redis is wiped mid-run (real Kafka, Redis, SMTP)', () => {
  let h: SmtpAlerterHarness | undefined;
  afterAll(async () => h?.close());

  it('never loses or repeats the first alert or the deactivation notice, and repeats at most one reminder', async () => {
    h = await SmtpAlerterHarness.create({ FLEETHOOK_ALERTER_REMINDER_INTERVAL_MS: String(intervalMs), FLEETHOOK_ALERTER_REMINDER_CHECK_MS: '100' });
    const harness = h;
    const first = await harness.startAlerter();
    await harness.waitForAssignment(1);
    const to = harness.address('sub_wipe');
    await harness.produce(harness.event('sub_wipe', 'parked'));
    await sink.waitFor(to, (ms) => count(ms, 'is failing') === 1 && count(ms, 'Reminder') >= 2, 'first alert and two reminders', 20_000);

    // Every key of this alerter gone (the test's prefix is its whole Redis), and the instance restarted.
    await first.close();
    const redis = new Redis(stackEnv.redisUrl);
    try {
      const keys = await redis.keys(`${harness.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '-'}*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const remindersBefore = reminderNumbers(await sink.messages(to)).length;
    await harness.startAlerter();
    await harness.waitForAssignment(1);
    await sink.waitFor(to, (ms) => reminderNumbers(ms).length >= remindersBefore + 2, 'reminders after the wipe', 20_000);
    await harness.produce(harness.event('sub_wipe', 'deactivated', { discarded: { items: 42, topic: `${harness.prefix}webhook.audit` } }));
    await sink.waitFor(to, (ms) => count(ms, 'deactivated') >= 1, 'deactivation notice', 20_000);
    await new Promise((r) => setTimeout(r, intervalMs * 1.5)); // a further slot: no reminder after the deactivation

    const all = await sink.messages(to);
    expect(count(all, 'is failing')).toBe(1);
    expect(count(all, 'deactivated')).toBe(1);
    const numbers = reminderNumbers(all);
    // No slot skipped; at most one slot sent twice (the one the wipe fell into).
    expect([...new Set(numbers)]).toEqual(Array.from({ length: new Set(numbers).size }, (_, i) => (numbers[0] ?? 0) + i));
    expect(numbers.length - new Set(numbers).size).toBeLessThanOrEqual(1);
  }, 90_000);
});
