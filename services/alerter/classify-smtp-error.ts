/**
 * One total classifier for what an SMTP send threw (nodemailer errors carry `code`,
 * `responseCode` and `command`): retry later, or give up on this recipient for good.
 */
export type SmtpFailure =
  | { readonly kind: 'transient'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string; readonly responseCode: number };

const transientCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'EAUTH', 'ENOAUTH', 'ECONNREFUSED', 'ECONNRESET', 'EMAXLIMIT']);

export function classifySmtpError(err: unknown): SmtpFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; responseCode?: unknown; command?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'UNKNOWN';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : null;
  const command = typeof e.command === 'string' ? ` on ${e.command}` : '';
  // A 5xx for the envelope or the message is the server's final word on this recipient/message.
  // Authentication (535) is the operator's configuration, not the recipient's: keep retrying (delayed, not lost).
  if (responseCode !== null && responseCode >= 500 && responseCode <= 599 && code !== 'EAUTH') {
    return { kind: 'rejected', reason: `SMTP ${responseCode}${command}`, responseCode };
  }
  if (responseCode !== null && responseCode >= 400 && responseCode <= 499) return { kind: 'transient', reason: `SMTP ${responseCode}${command}` };
  if (transientCodes.has(code)) return { kind: 'transient', reason: `${code}${command}` };
  // Anything not understood is retried: a delayed alert is better than a lost one.
  return { kind: 'transient', reason: code };
}
