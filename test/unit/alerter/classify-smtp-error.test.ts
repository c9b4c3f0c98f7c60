import { describe, expect, it } from 'vitest';
import { classifySmtpError } from '../../../services/alerter/classify-smtp-error.js';

describe('classifySmtpError', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, 'rejected'],
    [{ code: 'EENVELOPE', responseCode: 553, command: 'RCPT TO' }, 'rejected'],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, 'rejected'],
    [{ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }, 'transient'],
    [{ code: 'EMESSAGE', responseCode: 421 }, 'transient'],
    [{ code: 'EAUTH', responseCode: 535 }, 'transient'],
    [{ code: 'ECONNECTION' }, 'transient'],
    [{ code: 'ESOCKET' }, 'transient'],
    [{ code: 'ETIMEDOUT' }, 'transient'],
    [{ code: 'EDNS' }, 'transient'],
    [new Error('something odd'), 'transient'],
    ['a string', 'transient'],
  ])('%j → %s', (err, kind) => {
    expect(classifySmtpError(err).kind).toBe(kind);
  });
});
