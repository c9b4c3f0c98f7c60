/**
 * The records of `webhook.replays` (issue 15 part 2; key = subscription id, co-partitioned
 * with the other webhook topics). The admin API writes `request` and `cancel`; the owning
 * dispatcher writes `progress` after every delivered request and one end record (`done`,
 * `cancelled`, `failed`). A new owner folds them (`replay-book.ts`) and resumes each open
 * replay where its last `progress` left it.
 */

/** A telemetry partition's part of a replay: read `next` up to (excluding) `end`. */
export interface ReplayRange {
  readonly partition: number;
  readonly next: string;
  readonly end: string;
}

/** The chunk being sent: its offsets [start, end) of one partition, and how many of its requests were delivered. */
export interface ReplayChunk {
  readonly partition: number;
  readonly start: string;
  readonly end: string;
  readonly requestsDone: number;
}

export type ReplayEnd = 'done' | 'cancelled' | 'failed';

export type ReplayRecord =
  | { readonly type: 'request'; readonly replayId: string; readonly subscriptionId: string; readonly accountId: string; readonly fromMs: number; readonly toMs: number; readonly requestedAt: string }
  | { readonly type: 'cancel'; readonly replayId: string }
  | { readonly type: 'progress'; readonly replayId: string; readonly ranges: readonly ReplayRange[]; readonly chunk: ReplayChunk | null; readonly sent: number; readonly items: number }
  | { readonly type: ReplayEnd; readonly replayId: string; readonly sent: number; readonly items: number; readonly reason: string | null };

export const replayIdPattern = /^rpl_[a-f0-9]{24}$/;

export function encodeReplayRecord(r: ReplayRecord): string {
  return JSON.stringify(r);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOffset = (v: unknown): v is string => typeof v === 'string' && /^\d{1,19}$/.test(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Decodes a `webhook.replays` value; null for anything unexpected (logged and passed over by the reader). */
export function decodeReplayRecord(value: Buffer | null): ReplayRecord | null {
  if (value === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(raw) || typeof raw.replayId !== 'string' || !replayIdPattern.test(raw.replayId)) return null;
  const replayId = raw.replayId;
  switch (raw.type) {
    case 'request': {
      const { subscriptionId, accountId, fromMs, toMs, requestedAt } = raw;
      if (typeof subscriptionId !== 'string' || typeof accountId !== 'string' || !isCount(fromMs) || !isCount(toMs) || typeof requestedAt !== 'string') return null;
      return { type: 'request', replayId, subscriptionId, accountId, fromMs, toMs, requestedAt };
    }
    case 'cancel':
      return { type: 'cancel', replayId };
    case 'progress': {
      const ranges = decodeRanges(raw.ranges);
      const chunk = raw.chunk === null ? null : decodeChunk(raw.chunk);
      if (ranges === null || chunk === undefined || !isCount(raw.sent) || !isCount(raw.items)) return null;
      return { type: 'progress', replayId, ranges, chunk, sent: raw.sent, items: raw.items };
    }
    case 'done':
    case 'cancelled':
    case 'failed':
      if (!isCount(raw.sent) || !isCount(raw.items)) return null;
      return { type: raw.type, replayId, sent: raw.sent, items: raw.items, reason: typeof raw.reason === 'string' ? raw.reason : null };
    default:
      return null;
  }
}

function decodeRanges(v: unknown): ReplayRange[] | null {
  if (!Array.isArray(v)) return null;
  const out: ReplayRange[] = [];
  for (const r of v) {
    if (!isObject(r) || !isCount(r.partition) || !isOffset(r.next) || !isOffset(r.end)) return null;
    out.push({ partition: r.partition, next: r.next, end: r.end });
  }
  return out;
}

function decodeChunk(v: unknown): ReplayChunk | undefined {
  if (!isObject(v) || !isCount(v.partition) || !isOffset(v.start) || !isOffset(v.end) || !isCount(v.requestsDone)) return undefined;
  return { partition: v.partition, start: v.start, end: v.end, requestsDone: v.requestsDone };
}
