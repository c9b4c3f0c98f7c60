/** The parts of a Kafka message that count towards a topic's `max.message.bytes`. */
export interface SizedMessage {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;
}

/** Per-record framing in a v2 record batch (length, attributes, deltas, varints), rounded up. */
const recordOverheadBytes = 24;
const headerOverheadBytes = 10;
/** The v2 record batch header (61 B) plus room for the request around it. */
export const batchOverheadBytes = 512;

function byteLength(v: Buffer | string | readonly (Buffer | string)[] | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (Array.isArray(v)) return (v as readonly (Buffer | string)[]).reduce((n, item) => n + headerOverheadBytes + byteLength(item), 0);
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

/** An upper bound of the bytes `message` adds to an uncompressed record batch. */
export function messageBytes(message: SizedMessage): number {
  let n = recordOverheadBytes + byteLength(message.key) + byteLength(message.value);
  const headers = message.headers;
  // No entries array per message: this runs twice for every item the match stage writes.
  if (headers !== undefined) for (const name of Object.keys(headers)) n += headerOverheadBytes + byteLength(name) + byteLength(headers[name]);
  return n;
}

/**
 * Splits `messages`, in order, into runs of at most `budgetBytes` each (a message larger
 * than the budget travels alone; the caller checks that beforehand). A run sent as one
 * request can then never make a partition's record batch exceed the topic's
 * `max.message.bytes`, whichever partitions the messages go to.
 */
export function chunkBySize<M extends SizedMessage>(messages: readonly M[], budgetBytes: number): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageBytes(m);
    if (current.length > 0 && bytes + size > budgetBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
