import { describe, expect, it } from 'vitest';
import type { AlertConfirmationRequest } from '../../../schemas/alert-confirmation-request.js';
import { decodeConfirmationRequest } from '../../../schemas/alert-confirmation-request.js';
import { renderConfirmationEmail } from '../../../services/alerter/render-confirmation-email.js';

const request: AlertConfirmationRequest = {
  schemaVersion: 1, requestId: 'acr_1', at: '2026-12-01T12:00:00.000Z', subscriptionId: 'sub_0miq0j0w1a1b2c3d4e5f6a7b8', accountId: 'acc_alpha',
  subscriptionName: 'Fleet <b>GPS</b>', url: 'https://user:pw@hooks.example.test/in?token=s3cret&site=7', address: 'ops@example.test',
  token: 'sub_0miq0j0w1a1b2c3d4e5f6a7b8.abc', confirmUrl: 'https://fleethook.example.test/v1/alert-email-confirmations/sub_0miq0j0w1a1b2c3d4e5f6a7b8.abc', expiresAt: '2026-12-08T12:00:00.000Z',
};

describe('the confirmation e-mail', () => {
  it('names the subscription, shows the link and the code, masks the endpoint URL, escapes HTML', () => {
    const mail = renderConfirmationEmail(request);
    expect(mail.subject).toBe('[fleethook] Confirm alerts for webhook "Fleet <b>GPS</b>"');
    expect(mail.text).toContain(`To confirm, open: ${request.confirmUrl}`);
    expect(mail.text).toContain(`this code: ${request.token}`);
    expect(mail.text).toContain('2026-12-08 12:00 UTC');
    expect(mail.text).toContain('No alert is sent to it until it is confirmed');
    for (const body of [mail.text, mail.html]) {
      expect(body).not.toContain('s3cret');
      expect(body).not.toContain('user:pw');
    }
    expect(mail.html).toContain('Fleet &lt;b&gt;GPS&lt;/b&gt;');
    expect(mail.html).toContain(`<a href="${request.confirmUrl}">`);
  });
});

describe('decodeConfirmationRequest', () => {
  it('accepts a request and refuses anything malformed, naming the field', () => {
    expect(decodeConfirmationRequest(JSON.stringify(request))).toEqual({ kind: 'ok', request });
    const bad: [unknown, string][] = [
      [null, 'empty value'], ['{', 'not JSON'], ['[]', 'not an object'], [JSON.stringify({ ...request, schemaVersion: 2 }), 'schemaVersion'],
      [JSON.stringify({ ...request, token: '' }), 'token'], [JSON.stringify({ ...request, address: 7 }), 'address'], [JSON.stringify({ ...request, expiresAt: 'tomorrow' }), 'expiresAt'],
    ];
    for (const [value, reason] of bad) {
      const decoded = decodeConfirmationRequest(value as string | null);
      expect(decoded.kind).toBe('invalid');
      if (decoded.kind === 'invalid') expect(decoded.reason).toContain(reason);
    }
  });
});
