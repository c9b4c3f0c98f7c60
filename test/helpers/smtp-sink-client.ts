import type { SinkMessage } from '../../stack/smtp-message-store.js';
import { waitFor } from './wait-for.js';

/** Reads what the stack's SMTP sink received, through its JSON view (`GET /messages?to=…`). */
export class SmtpSinkClient {
  constructor(readonly webUrl = process.env.FLEETHOOK_SMTP_SINK_URL ?? 'http://127.0.0.1:11080') {}

  async messages(to: string): Promise<SinkMessage[]> {
    const res = await fetch(`${this.webUrl}/messages?to=${encodeURIComponent(to)}`, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) throw new Error(`SMTP sink answered ${res.status}`);
    return (await res.json()) as SinkMessage[];
  }

  /** Waits until `check` holds for the messages to `to`, and returns them. */
  async waitFor(to: string, check: (messages: SinkMessage[]) => boolean, what: string, timeoutMs = 20_000): Promise<SinkMessage[]> {
    return waitFor(async () => {
      const messages = await this.messages(to);
      return check(messages) ? messages : undefined;
    }, { timeoutMs, intervalMs: 100, what });
  }
}
