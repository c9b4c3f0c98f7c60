import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpAlerterHarness } from '../helpers/smtp-alerter-harness.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';
import { waitFor } from '../helpers/wait-for.js';

const sink = new SmtpSinkClient();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cap = 4;
const windowMs = 10_000;
let h: SmtpAlerterHarness;

async function metricSum(name: string, labels: string): Promise<number> {
  let total = 0;
  for (const a of h.apps) {
    const text = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    for (const line of text.split('\n')) if (line.startsWith(`${name}{`) && line.includes(labels)) total += Number(line.split(' ').at(-1));
  }
  return total;
}

/**
 * One address on many subscriptions (spread over 4 partitions and two alerter instances):
 * the cap per address per window holds across the instances; droppable notices over it are
 * dropped and counted, a first alert over it waits for the next window and is then sent.
 */
describe('the per-address e-mail cap holds across two alerter instances', () => {
  beforeAll(async () => {
    h = await SmtpAlerterHarness.create({ FLEETHOOK_ALERTER_ADDRESS_CAP: String(cap), FLEETHOOK_ALERTER_ADDRESS_CAP_WINDOW_MS: String(windowMs) });
    await h.startAlerter();
    await h.startAlerter();
    await h.waitForAssignment(2);
  });
  afterAll(async () => h?.close());

  it(`${cap} e-mails per window to one address: 8 verification notices → ${cap} sent, the rest dropped; 2 first alerts over the cap wait for the next window, then arrive`, async () => {
    const to = h.address('shared-ops');
    const subs = Array.from({ length: 8 }, (_, i) => `sub_cap_${i}`);
    const other = h.address('other-ops');
    await h.produce(...subs.map((s) => h.event(s, 'verification_failed', { alertEmails: [to] })), h.event('sub_cap_other', 'verification_failed', { alertEmails: [other] }));
    await waitFor(async () => (await metricSum('fleethook_alerter_emails_suppressed_total', 'reason="capped"')) === subs.length - cap, { timeoutMs: 30_000, intervalMs: 200, what: 'the notices over the cap dropped' });
    const firstWindow = await sink.waitFor(to, (ms) => ms.length >= cap, `${cap} notices`);
    expect(firstWindow).toHaveLength(cap);
    // Another address has its own budget.
    await sink.waitFor(other, (ms) => ms.length === 1, 'the other address\'s notice');
    // Both instances took part (each owns partitions holding some of these subscriptions).
    const perInstance = await Promise.all(h.apps.map(async (a) => (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text()));
    for (const text of perInstance) expect(text).toMatch(/fleethook_alerter_failure_events_total\{kind="verification_failed"\} [1-9]/);

    // Over the cap, a first alert is not dropped: it waits for room.
    await h.produce(h.event('sub_cap_0', 'parked', { alertEmails: [to] }), h.event('sub_cap_5', 'parked', { alertEmails: [to] }));
    await waitFor(async () => (await metricSum('fleethook_alerter_emails_deferred_total', 'kind="first_alert"')) >= 1, { timeoutMs: 15_000, intervalMs: 200, what: 'a first alert deferred' });
    expect(await sink.messages(to)).toHaveLength(cap);
    const all = await sink.waitFor(to, (ms) => ms.length >= cap + 2, 'the deferred first alerts after the window', windowMs + 20_000);
    const firsts = all.filter((m) => m.subject.includes('is failing'));
    expect(firsts).toHaveLength(2);
    expect(all.filter((m) => m.subject.includes('failed verification'))).toHaveLength(cap);
    await sleep(1_000);
    expect(await sink.messages(to)).toHaveLength(cap + 2); // nothing twice
  }, 60_000);
});
