import fs from 'node:fs';
import path from 'node:path';

/** One message the SMTP sink accepted, as tests and the web view read it. */
export interface SinkMessage {
  readonly id: number;
  readonly receivedAt: string;
  /** The SMTP envelope: who the server was told to deliver to (authoritative for tests). */
  readonly envelopeFrom: string;
  readonly envelopeTo: readonly string[];
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly html: string;
}

export type NewSinkMessage = Omit<SinkMessage, 'id' | 'receivedAt'>;

/**
 * The sink's messages, appended to `<dir>/messages.jsonl` so they survive a restart of the
 * sink (an SMTP outage test stops and starts it) and a person can read them later. Only the
 * newest `maxKept` stay in memory.
 */
export class SmtpMessageStore {
  private readonly file: string;
  private messages: SinkMessage[] = [];
  private nextId = 1;

  constructor(
    dir: string,
    private readonly maxKept = 5_000,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'messages.jsonl');
    this.load();
  }

  add(message: NewSinkMessage): SinkMessage {
    const stored: SinkMessage = { id: this.nextId, receivedAt: new Date().toISOString(), ...message };
    this.nextId += 1;
    this.messages.push(stored);
    if (this.messages.length > this.maxKept) this.messages = this.messages.slice(-this.maxKept);
    fs.appendFileSync(this.file, JSON.stringify(stored) + '\n');
    return stored;
  }

  /** Oldest first; `to` keeps messages with an envelope recipient containing it (case-insensitive). */
  list(filter: { to?: string } = {}): SinkMessage[] {
    const needle = filter.to?.toLowerCase();
    if (needle === undefined || needle === '') return [...this.messages];
    return this.messages.filter((m) => m.envelopeTo.some((r) => r.toLowerCase().includes(needle)));
  }

  clear(): void {
    this.messages = [];
    fs.writeFileSync(this.file, '');
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const parsed = JSON.parse(line) as SinkMessage;
        if (typeof parsed.id === 'number') {
          this.messages.push(parsed);
          this.nextId = Math.max(this.nextId, parsed.id + 1);
        }
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    this.messages = this.messages.slice(-this.maxKept);
  }
}
