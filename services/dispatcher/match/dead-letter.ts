import type { ItemOrigin } from '../delivery-item.js';
import { messageBytes } from '../../shared/kafka-message-size.js';

/** A `telemetry.deadletter` record: what a Kafka producer sends. */
export interface DeadLetterMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface DeadLetter {
  readonly message: DeadLetterMessage;
  /** True when the key or value had to be cut to fit. */
  readonly truncated: boolean;
}

const maxReasonChars = 1_000;
const maxKeyBytes = 1_024;

/**
 * Builds the dead letter of a telemetry record that cannot be processed (pure): the
 * original key and bytes with the reason and origin (topic/partition/offset) in headers.
 * It always fits in `budgetBytes` (the dead-letter topic's `max.message.bytes` less the
 * batch overhead): a record that was itself close to the limit would not fit with the
 * headers added, so its value (and an oversized key) is cut, and the headers
 * `fleethook-deadletter-truncated` and `fleethook-original-value-bytes` say so — the
 * original stays readable at its origin for the topic's retention. A budget under ~400
 * bytes cannot hold the origin headers; the caller's is the topic limit less 512 bytes.
 */
export function buildDeadLetter(record: { key: Buffer | null; value: Buffer | null }, origin: ItemOrigin, reason: string, budgetBytes: number): DeadLetter {
  const headers: Record<string, string> = {
    'fleethook-deadletter-reason': reason.length > maxReasonChars ? `${reason.slice(0, maxReasonChars)}…` : reason,
    'fleethook-origin-topic': origin.topic,
    'fleethook-origin-partition': String(origin.partition),
    'fleethook-origin-offset': origin.offset,
  };
  const whole = { key: record.key, value: record.value, headers };
  if (messageBytes(whole) <= budgetBytes) return { message: whole, truncated: false };
  const cutHeaders: Record<string, string> = {
    ...headers,
    'fleethook-deadletter-truncated': 'true',
    'fleethook-original-value-bytes': String(record.value?.length ?? 0),
    'fleethook-original-key-bytes': String(record.key?.length ?? 0),
  };
  let key = record.key !== null && record.key.length > maxKeyBytes ? record.key.subarray(0, maxKeyBytes) : record.key;
  // Even the key and headers alone may not fit a small budget: cut the key, then the reason.
  let over = messageBytes({ key, value: null, headers: cutHeaders }) - budgetBytes;
  if (over > 0 && key !== null) {
    key = key.subarray(0, Math.max(0, key.length - over));
    over = messageBytes({ key, value: null, headers: cutHeaders }) - budgetBytes;
  }
  if (over > 0) {
    const reasonHeader = cutHeaders['fleethook-deadletter-reason'] ?? '';
    cutHeaders['fleethook-deadletter-reason'] = Buffer.from(reasonHeader, 'utf8').subarray(0, Math.max(0, Buffer.byteLength(reasonHeader) - over)).toString('utf8').replace(/\uFFFD$/, '');
  }
  const room = Math.max(0, budgetBytes - messageBytes({ key, value: null, headers: cutHeaders }));
  const value = record.value === null ? null : record.value.subarray(0, Math.min(record.value.length, room));
  return { message: { key, value, headers: cutHeaders }, truncated: true };
}
