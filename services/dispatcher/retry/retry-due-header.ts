import type { RecordHeaders } from '../../shared/kafka/kafka-port.js';

/**
 * When a record in a retry-tier topic becomes due travels in a header (epoch ms, decimal),
 * not in the record timestamp: the producer's or broker's clock and `LogAppendTime` topics
 * must not decide when an endpoint is retried. Pure.
 */
export const dueAtHeader = 'fleethook-due-at-ms';

export type DueHeader = { readonly kind: 'due-at'; readonly dueAtMs: number } | { readonly kind: 'invalid'; readonly reason: string };

export function dueAtHeaders(dueAtMs: number): Record<string, string> {
  return { [dueAtHeader]: String(Math.ceil(dueAtMs)) };
}

export function readDueAt(headers: RecordHeaders | undefined): DueHeader {
  const raw = headers?.[dueAtHeader];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (value === undefined) return { kind: 'invalid', reason: `header ${dueAtHeader} missing` };
  const text = value.toString();
  if (!/^\d{1,16}$/.test(text)) return { kind: 'invalid', reason: `header ${dueAtHeader} is not epoch milliseconds: ${JSON.stringify(text.slice(0, 40))}` };
  return { kind: 'due-at', dueAtMs: Number(text) };
}

export type DueCheck = { readonly kind: 'due' } | { readonly kind: 'wait'; readonly waitMs: number };

/** Due at or after `dueAtMs`, never before. */
export function checkDue(dueAtMs: number, nowMs: number): DueCheck {
  return nowMs >= dueAtMs ? { kind: 'due' } : { kind: 'wait', waitMs: dueAtMs - nowMs };
}
