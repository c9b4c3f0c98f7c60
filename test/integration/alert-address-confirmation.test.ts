import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkMessage } from '../../stack/smtp-message-store.js';
import { accountKeys } from '../helpers/admin-api-harness.js';
import { AdminAlerterStack } from '../helpers/admin-alerter-stack.js';
import { confirmThroughLink, confirmationMailTo, isConfirmationMail } from '../helpers/alert-confirmation-mail.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

const sink = new SmtpSinkClient();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
interface View { id: string; name: string; alertEmails: string[]; alertEmailConfirmations: { address: string; state: string; since: string | null; expiresAt: string | null }[] }

/**
 * Issue 17's finding, end to end on the real stack: alert addresses are confirmed by their
 * holders before they get anything but the one confirmation e-mail.
 * admin API → webhook.alert-confirmations / webhook.subscriptions / webhook.failures → alerter → SMTP sink.
 */
describe('alert addresses must be confirmed before they receive alerts', () => {
  let s: AdminAlerterStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    s = await AdminAlerterStack.create({ FLEETHOOK_ADMIN_PUBLIC_URL: 'https://fleethook.example.test/' });
    await s.startAlerter();
    receiver = await WebhookReceiver.start(behaviours.status(500, 'not ready'));
  });
  afterAll(async () => {
    await receiver?.close();
    await s?.close();
  });

  async function create(name: string, alertEmails: string[], key: string = accountKeys.acc_alpha, app = s.app): Promise<View> {
    const r = await s.admin.call(app, 'POST', '/v1/subscriptions', { key, body: { url: receiver.url, name, source: { kind: 'gps' }, alertEmails } });
    expect(r.status).toBe(201);
    return (r.json as { subscription: View }).subscription;
  }
  const get = async (id: string): Promise<View> => (await s.admin.call(s.app, 'GET', `/v1/subscriptions/${id}`)).json as View;
  const states = (v: View): string[] => v.alertEmailConfirmations.map((c) => c.state);

  it('the finding replayed: 20 third-party addresses and 3 quick failed verifies → each address gets its one confirmation e-mail and no verification notice', async () => {
    const victims = Array.from({ length: 20 }, (_, i) => s.address(`victim${i}`));
    const sub = await create('amplifier', victims);
    expect(states(sub)).toEqual(victims.map(() => 'pending'));
    expect(sub.alertEmailConfirmations[0]?.expiresAt).not.toBeNull();
    const verifies = await Promise.all([1, 2, 3].map(() => s.admin.call(s.app, 'POST', `/v1/subscriptions/${sub.id}/verify`)));
    expect(verifies.map((v) => (v.json as { result: { kind: string } }).result.kind)).toEqual(['failed', 'failed', 'failed']);

    // The alerter has decided every one of the 60 notices (suppressed: unconfirmed) …
    await waitFor(async () => (await s.alerterMetric('fleethook_alerter_emails_suppressed_total', 'kind="verification_failed",reason="unconfirmed"')) === 60, { timeoutMs: 30_000, intervalMs: 200, what: '60 suppressed verification notices' });
    // … and every address has exactly its confirmation e-mail.
    for (const to of victims) await confirmationMailTo(sink, to);
    await sleep(1_000);
    for (const to of victims) {
      const ms = await sink.messages(to);
      expect(ms.map((m) => m.subject), to).toEqual(['[fleethook] Confirm alerts for webhook "amplifier"']);
      expect(ms[0]?.envelopeTo).toEqual([to]);
    }
  });

  it('after the holder confirms through the link, alerts arrive; the unconfirmed address still gets none; re-sending the list asks nobody twice', async () => {
    const [yes, no] = [s.address('holder-yes'), s.address('holder-no')];
    const sub = await create('Fleet confirm', [yes, no]);
    const mail = await confirmationMailTo(sink, yes);
    expect(mail.link.startsWith('https://fleethook.example.test/v1/alert-email-confirmations/')).toBe(true);
    expect(mail.mail.text).toContain(`Fleet confirm (${sub.id})`);
    expect(mail.mail.text).toContain(mail.token);

    // Opening the link shows a page and confirms nothing (mail scanners open links).
    const opened = await fetch(`http://127.0.0.1:${s.app.port}${new URL(mail.link).pathname}`);
    expect(opened.status).toBe(200);
    expect(states(await get(sub.id))).toEqual(['pending', 'pending']);
    // The button confirms: an HTML answer for the browser.
    const { page, pageHtml, confirm } = await confirmThroughLink(s.app.port, mail.link);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(pageHtml).toContain('Nothing is sent to it until you confirm');
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain(`${yes} now receives alerts for the webhook "Fleet confirm"`);
    // Opening the page alone confirmed nothing for the other address, and the same link works once.
    expect((await confirmThroughLink(s.app.port, mail.link)).confirm.status).toBe(404);
    const view = await get(sub.id);
    expect(view.alertEmailConfirmations).toEqual([
      { address: yes, state: 'confirmed', since: expect.any(String), expiresAt: null },
      { address: no, state: 'pending', since: expect.any(String), expiresAt: expect.any(String) },
    ]);

    // Same list again (and a name change): the pending address is not asked again.
    expect((await s.admin.call(s.app, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { alertEmails: [yes, no], name: 'Fleet confirm' } })).status).toBe(200);

    await s.produceFailure(view, 'parked');
    await s.admin.call(s.app, 'POST', `/v1/subscriptions/${sub.id}/verify`);
    const got = await sink.waitFor(yes, (ms) => ms.filter((m) => !isConfirmationMail(m)).length >= 2, 'the first alert and the verification notice for the confirmed address');
    const alerts = got.filter((m) => !isConfirmationMail(m)).map((m) => m.subject);
    expect(alerts).toHaveLength(2);
    expect(alerts).toContain('[fleethook] Webhook "Fleet confirm" failed verification — not delivering yet');
    expect(alerts.filter((t) => t.startsWith('[fleethook] Webhook "Fleet confirm" is failing — deliveries paused since'))).toHaveLength(1);
    await waitFor(async () => (await s.alerterMetric('fleethook_alerter_emails_suppressed_total', 'kind="first_alert",reason="unconfirmed"')) >= 1, { what: 'the unconfirmed address skipped' });
    await sleep(1_000);
    expect((await sink.messages(no)).map((m) => m.subject)).toEqual(['[fleethook] Confirm alerts for webhook "Fleet confirm"']);
    expect((await sink.messages(yes)).filter(isConfirmationMail)).toHaveLength(1);
  });

  it('the owner confirms with the code from the e-mail; bad, forged, foreign, used, removed and expired tokens are refused alike (422 to the owner, 404 through the link)', async () => {
    const a = s.address('owner-code');
    const sub = await create('Fleet code', [a]);
    const other = await create('Fleet other', [s.address('other-code')]);
    const { token, link } = await confirmationMailTo(sink, a);
    const otherMail = await confirmationMailTo(sink, s.address('other-code'));
    const confirm = (id: string, body: unknown, key: string = accountKeys.acc_alpha): ReturnType<typeof s.admin.call> =>
      s.admin.call(s.app, 'POST', `/v1/subscriptions/${id}/alert-emails/confirm`, { key, body });
    const refused = { code: 'not_found', message: 'unknown, expired or already used confirmation token', field: 'token' };
    // To the owner, whose subscription exists, a code that is not a pending one is a 422, one answer for all.
    const ownerRefused = { code: 'invalid_confirmation_code', message: 'unknown, expired or already used confirmation code', field: 'token' };

    // The owner cannot mark an address confirmed by writing the state itself.
    const selfConfirm = await s.admin.call(s.app, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { alertEmailConfirmations: { [a]: { state: 'confirmed' } } } });
    expect(selfConfirm.status).toBe(400);
    expect((await s.admin.call(s.app, 'POST', '/v1/subscriptions', { body: { url: receiver.url, name: 'x', source: { kind: 'gps' }, alertEmails: [a], alertEmailConfirmations: [{ address: a, state: 'confirmed' }] } })).status).toBe(400);
    // Malformed bodies.
    expect((await confirm(sub.id, {})).status).toBe(400);
    expect((await confirm(sub.id, { token: 42 })).status).toBe(400);
    expect((await confirm(sub.id, { token, extra: 1 })).status).toBe(400);
    expect((await confirm(sub.id, { token: '' })).status).toBe(400);
    expect((await confirm(sub.id, { token: 'not a code!' })).status).toBe(400);
    // Tokens that are not this address's live token: all the same answer.
    const forged = `${sub.id}.${'x'.repeat(43)}`;
    for (const bad of ['nope', forged, `${token}x`, token.toUpperCase(), otherMail.token, `sub_000000000aaaaaaaaaaaaaaaa.${'y'.repeat(43)}`]) {
      const r = await confirm(sub.id, { token: bad });
      expect(r.status, bad).toBe(422);
      expect(r.json).toEqual(ownerRefused);
      const byLink = await s.admin.call(s.app, 'POST', `/v1/alert-email-confirmations/${encodeURIComponent(bad)}`, { key: null });
      if (bad === otherMail.token) expect(byLink.json).toEqual({ subscriptionId: other.id, subscriptionName: 'Fleet other', address: s.address('other-code'), state: 'confirmed' });
      else expect(byLink.json, bad).toEqual(refused);
    }
    // Another account cannot use a (leaked) code on a subscription that is not its own.
    expect((await confirm(sub.id, { token }, accountKeys.acc_beta)).status).toBe(404);
    expect(states(await get(sub.id))).toEqual(['pending']);
    expect(states(await get(other.id))).toEqual(['confirmed']); // the link above used other's real token: that one is valid

    const ok = await confirm(sub.id, { token });
    expect(ok.status).toBe(200);
    expect(states(ok.json as View)).toEqual(['confirmed']);
    expect((await confirm(sub.id, { token })).status).toBe(422); // used
    expect((await confirmThroughLink(s.app.port, link)).confirm.status).toBe(404);

    // A removed address's link is dead; re-adding it asks again (a second, new link).
    const b = s.address('removed');
    await s.admin.call(s.app, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { alertEmails: [a, b] } });
    const first = await confirmationMailTo(sink, b);
    await s.admin.call(s.app, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { alertEmails: [a] } });
    expect((await confirm(sub.id, { token: first.token })).status).toBe(422);
    await s.admin.call(s.app, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { alertEmails: [a, b] } });
    const again = await sink.waitFor(b, (ms) => ms.filter(isConfirmationMail).length === 2, 'a second confirmation after re-adding');
    expect(again.filter(isConfirmationMail).map((m) => /this code: (\S+)/.exec(m.text)?.[1])).not.toContain(undefined);
    expect(states(await get(sub.id))).toEqual(['confirmed', 'pending']);
  });

  it('an expired link is refused and shown as expired; writing the list again sends a fresh one', async () => {
    const c = s.address('expiring');
    // A second instance with short-lived links; the first one (7-day links) reads what it wrote.
    const short = await s.admin.startInstance({ FLEETHOOK_ADMIN_ALERT_CONFIRMATION_TTL_MS: '6000' });
    const sub = await create('Fleet expiry', [c], accountKeys.acc_alpha, short);
    const { token } = await confirmationMailTo(sink, c);
    const expiresAt = Date.parse((await get(sub.id)).alertEmailConfirmations[0]?.expiresAt ?? '');
    await sleep(Math.max(0, expiresAt - Date.now() + 200));
    expect(states(await get(sub.id))).toEqual(['expired']);
    expect((await s.admin.call(s.app, 'POST', `/v1/alert-email-confirmations/${token}`, { key: null })).status).toBe(404);
    const page = await fetch(`http://127.0.0.1:${s.app.port}/v1/alert-email-confirmations/${token}?format=html`, { method: 'POST' });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('unknown, expired or already used');
    await s.admin.call(short, 'PATCH', `/v1/subscriptions/${sub.id}`, { body: { alertEmails: [c] } });
    const both = await sink.waitFor(c, (ms: SinkMessage[]) => ms.filter(isConfirmationMail).length === 2, 'a fresh confirmation e-mail');
    const fresh = /this code: (\S+)/.exec(both.filter(isConfirmationMail).at(-1)?.text ?? '')?.[1] ?? '';
    expect(fresh).not.toBe(token);
    expect((await s.admin.call(s.app, 'POST', `/v1/alert-email-confirmations/${fresh}`, { key: null })).status).toBe(200);
    expect(states(await get(sub.id))).toEqual(['confirmed']);
  }, 60_000);
});
