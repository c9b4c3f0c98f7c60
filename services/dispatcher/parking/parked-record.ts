/**
 * Records of `webhook.parked` (key = subscription id), the durable backlog of parked
 * subscriptions (issue 5 §2–3, §6). Besides the items, an episode writes markers so that a
 * new owner rebuilds every subscription's parking state from this topic alone:
 * `begin` (parked: the head's last deliveries offset, the first failure, and — after a
 * failure during a drain — the parked offset after which the backlog continues),
 * `item` (one newer deliveries item, written once, in order), `recovered` (the head was
 * delivered: drain), `closed` (the policy's limit: audit the backlog, or keep it while
 * paused) and `drained` (every item of the episode is finished; live delivery resumes). The record kind is a header so a
 * reader can skip items without parsing them. Pure: encode and a total decoder.
 */
export const parkedKindHeader = 'fleethook-parked-kind';
export const parkedEpisodeHeader = 'fleethook-episode';

export type ParkedRecord =
  | {
    readonly kind: 'begin'; readonly episodeId: string; readonly headThroughOffset: string; readonly firstFailureAtMs: number;
    /** The head's `webhook.deliveries` offsets (a new owner skips exactly these when it reads them again; absent in records of older versions). */
    readonly headDeliveriesOffsets?: readonly string[];
    /** After a failure during a drain: the gap-free cursor, and the parked offsets of the items now in the head (skipped by the next drain). */
    readonly backlogAfter?: string; readonly headParkedOffsets?: readonly string[];
    /**
     * After a failure during a drain: the old backlog's items above the cursor that its drain
     * had delivered (GPS drains go per vehicle, so the gap-free cursor lags behind them). The
     * new episode's drain skips them too, or they would go again under new webhook-ids.
     */
    readonly finishedParkedOffsets?: readonly string[];
  }
  | {
    readonly kind: 'item'; readonly episodeId: string; readonly deliveriesOffset: string; readonly value: Buffer;
    /** Set on the items of an earlier owner's request appended whole (rule 9): the drain sends them as that very request, under its webhook-id. */
    readonly request?: ExactRequest;
  }
  | { readonly kind: 'recovered'; readonly episodeId: string }
  /** Drain progress: items at or below `cursor`, and those listed above it, are delivered; `backlog` items remain. */
  | { readonly kind: 'progress'; readonly episodeId: string; readonly cursor: string; readonly finished: readonly string[]; readonly backlog: number }
  | { readonly kind: 'closed'; readonly episodeId: string; readonly action: ClosingAction; readonly reason: string; readonly facts: ClosedFacts }
  | { readonly kind: 'drained'; readonly episodeId: string }
  /**
   * Recovery (issue 15; written by the admin API): audited items written back, in order, before
   * their `recovery` marker. Read before the marker they are nothing; the marker starts an
   * episode (already draining) whose backlog is the items in [firstOffset, lastOffset] of
   * this episode id — so live items of the subscription go behind them, as behind any backlog.
   */
  | { readonly kind: 'recovery-item'; readonly episodeId: string; readonly deliveriesOffset: string; readonly value: Buffer }
  | { readonly kind: 'recovery'; readonly episodeId: string; readonly firstOffset: string; readonly lastOffset: string; readonly items: number; readonly auditEpisodeId: string };

/** A request's first deliveries offset (its webhook-id derives from it) and its number of items. */
export interface ExactRequest {
  readonly first: string;
  readonly items: number;
}

const requestHeader = 'fleethook-request';

/** What the owner's deactivation event needs besides the backlog it audits. */
export interface ClosedFacts {
  readonly headItems: number;
  readonly firstFailureAtMs: number;
  readonly retryCount: number;
  readonly lastError: string;
  readonly lastStatusCode: number | null;
}

export const closingActions = ['deactivate', 'disable'] as const;
export type ClosingAction = (typeof closingActions)[number];

export interface EncodedParkedRecord {
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

export function encodeParkedRecord(record: ParkedRecord): EncodedParkedRecord {
  const headers = { [parkedKindHeader]: record.kind, [parkedEpisodeHeader]: record.episodeId };
  switch (record.kind) {
    case 'item':
    case 'recovery-item':
      // The original deliveries value, untouched: the drain decodes it like a live item.
      return {
        value: record.value,
        headers: { ...headers, 'fleethook-deliveries-offset': record.deliveriesOffset, ...(record.kind !== 'item' || record.request === undefined ? {} : { [requestHeader]: `${record.request.first}/${record.request.items}` }) },
      };
    case 'begin': {
      const { headThroughOffset, firstFailureAtMs, backlogAfter, headParkedOffsets, headDeliveriesOffsets, finishedParkedOffsets } = record;
      const optional = {
        ...(backlogAfter === undefined ? {} : { backlogAfter }), ...(headParkedOffsets === undefined ? {} : { headParkedOffsets }),
        ...(headDeliveriesOffsets === undefined ? {} : { headDeliveriesOffsets }),
        ...(finishedParkedOffsets === undefined || finishedParkedOffsets.length === 0 ? {} : { finishedParkedOffsets }),
      };
      return { value: Buffer.from(JSON.stringify({ headThroughOffset, firstFailureAtMs, ...optional })), headers };
    }
    case 'closed':
      return { value: Buffer.from(JSON.stringify({ action: record.action, reason: record.reason, facts: record.facts })), headers };
    case 'progress':
      return { value: Buffer.from(JSON.stringify({ cursor: record.cursor, finished: record.finished, backlog: record.backlog })), headers };
    case 'recovery': {
      const { firstOffset, lastOffset, items, auditEpisodeId } = record;
      return { value: Buffer.from(JSON.stringify({ firstOffset, lastOffset, items, auditEpisodeId })), headers };
    }
    case 'recovered':
    case 'drained':
      return { value: Buffer.alloc(0), headers };
    default: {
      const unreachable: never = record;
      throw new Error(`unknown parked record ${JSON.stringify(unreachable)}`);
    }
  }
}

export type DecodedParked = { readonly kind: 'record'; readonly record: ParkedRecord } | { readonly kind: 'invalid'; readonly reason: string };

type HeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;
const text = (v: HeaderValue): string | undefined => {
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return one === undefined ? undefined : one.toString();
};

export function decodeParkedRecord(value: Buffer | null, headers: Readonly<Record<string, HeaderValue>> | undefined): DecodedParked {
  const kind = text(headers?.[parkedKindHeader]);
  const episodeId = text(headers?.[parkedEpisodeHeader]);
  if (episodeId === undefined || episodeId === '') return { kind: 'invalid', reason: `header ${parkedEpisodeHeader} missing` };
  switch (kind) {
    case 'item':
    case 'recovery-item': {
      const deliveriesOffset = text(headers?.['fleethook-deliveries-offset']);
      if (deliveriesOffset === undefined || !/^\d+$/.test(deliveriesOffset)) return { kind: 'invalid', reason: 'item without a decimal fleethook-deliveries-offset' };
      if (value === null) return { kind: 'invalid', reason: 'item without a value' };
      const request = text(headers?.[requestHeader]);
      if (request === undefined) return { kind: 'record', record: { kind, episodeId, deliveriesOffset, value } };
      const m = /^(\d+)\/([1-9]\d{0,5})$/.exec(request);
      if (m === null) return { kind: 'invalid', reason: `item with a malformed ${requestHeader} ${JSON.stringify(request)} (first/items)` };
      return { kind: 'record', record: { kind, episodeId, deliveriesOffset, value, request: { first: m[1] as string, items: Number(m[2]) } } };
    }
    case 'begin':
      return decodeBegin(value, episodeId);
    case 'closed':
      return decodeClosed(value, episodeId);
    case 'progress':
      return decodeProgress(value, episodeId);
    case 'recovery':
      return decodeRecovery(value, episodeId);
    case 'recovered':
    case 'drained':
      return { kind: 'record', record: { kind, episodeId } };
    default:
      return { kind: 'invalid', reason: `unknown ${parkedKindHeader} ${JSON.stringify(kind)}` };
  }
}

function jsonObject(value: Buffer | null): Record<string, unknown> | null {
  try {
    const raw: unknown = JSON.parse(value?.toString('utf8') ?? '');
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isDecimal = (v: unknown): v is string => typeof v === 'string' && /^\d+$/.test(v);

function decodeBegin(value: Buffer | null, episodeId: string): DecodedParked {
  const raw = jsonObject(value);
  if (raw === null) return { kind: 'invalid', reason: 'begin value is not a JSON object' };
  const { headThroughOffset, firstFailureAtMs, backlogAfter, headParkedOffsets, headDeliveriesOffsets, finishedParkedOffsets } = raw;
  if (!isDecimal(headThroughOffset) || !Number.isInteger(firstFailureAtMs) || (backlogAfter !== undefined && !isDecimal(backlogAfter))) {
    return { kind: 'invalid', reason: 'begin needs a decimal headThroughOffset, an integer firstFailureAtMs and, if present, a decimal backlogAfter' };
  }
  if (headParkedOffsets !== undefined && !(Array.isArray(headParkedOffsets) && headParkedOffsets.every(isDecimal))) {
    return { kind: 'invalid', reason: 'begin headParkedOffsets must be a list of decimal offsets' };
  }
  if (headDeliveriesOffsets !== undefined && !(Array.isArray(headDeliveriesOffsets) && headDeliveriesOffsets.every(isDecimal))) {
    return { kind: 'invalid', reason: 'begin headDeliveriesOffsets must be a list of decimal offsets' };
  }
  if (finishedParkedOffsets !== undefined && !(Array.isArray(finishedParkedOffsets) && finishedParkedOffsets.every(isDecimal))) {
    return { kind: 'invalid', reason: 'begin finishedParkedOffsets must be a list of decimal offsets' };
  }
  const record: ParkedRecord = {
    kind: 'begin', episodeId, headThroughOffset, firstFailureAtMs: firstFailureAtMs as number,
    ...(backlogAfter === undefined ? {} : { backlogAfter }), ...(headParkedOffsets === undefined ? {} : { headParkedOffsets: headParkedOffsets as string[] }),
    ...(headDeliveriesOffsets === undefined ? {} : { headDeliveriesOffsets: headDeliveriesOffsets as string[] }),
    ...(finishedParkedOffsets === undefined ? {} : { finishedParkedOffsets: finishedParkedOffsets as string[] }),
  };
  return { kind: 'record', record };
}

function decodeClosed(value: Buffer | null, episodeId: string): DecodedParked {
  const raw = jsonObject(value);
  const action = raw?.action;
  if (raw === null || !(closingActions as readonly unknown[]).includes(action) || typeof raw.reason !== 'string') {
    return { kind: 'invalid', reason: `closed needs an action (${closingActions.join(', ')}) and a reason` };
  }
  const f = typeof raw.facts === 'object' && raw.facts !== null ? (raw.facts as Record<string, unknown>) : null;
  const count = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (f === null || !count(f.headItems) || !count(f.firstFailureAtMs) || !count(f.retryCount) || typeof f.lastError !== 'string' || (f.lastStatusCode !== null && !Number.isInteger(f.lastStatusCode))) {
    return { kind: 'invalid', reason: 'closed needs facts: headItems, firstFailureAtMs, retryCount, lastError, lastStatusCode' };
  }
  const facts: ClosedFacts = { headItems: f.headItems, firstFailureAtMs: f.firstFailureAtMs, retryCount: f.retryCount, lastError: f.lastError, lastStatusCode: f.lastStatusCode as number | null };
  return { kind: 'record', record: { kind: 'closed', episodeId, action: action as ClosingAction, reason: raw.reason, facts } };
}

function decodeProgress(value: Buffer | null, episodeId: string): DecodedParked {
  const raw = jsonObject(value);
  const { cursor, finished, backlog } = raw ?? {};
  if (!isDecimal(cursor) || !(Array.isArray(finished) && finished.every(isDecimal)) || !(Number.isInteger(backlog) && (backlog as number) >= 0)) {
    return { kind: 'invalid', reason: 'progress needs a decimal cursor, a list of decimal finished offsets and a backlog count' };
  }
  return { kind: 'record', record: { kind: 'progress', episodeId, cursor, finished: finished as string[], backlog: backlog as number } };
}

function decodeRecovery(value: Buffer | null, episodeId: string): DecodedParked {
  const raw = jsonObject(value);
  const { firstOffset, lastOffset, items, auditEpisodeId } = raw ?? {};
  if (!isDecimal(firstOffset) || !isDecimal(lastOffset) || BigInt(lastOffset) < BigInt(firstOffset) || !(Number.isInteger(items) && (items as number) > 0) || typeof auditEpisodeId !== 'string') {
    return { kind: 'invalid', reason: 'recovery needs decimal firstOffset <= lastOffset, a positive item count and an auditEpisodeId' };
  }
  return { kind: 'record', record: { kind: 'recovery', episodeId, firstOffset, lastOffset, items: items as number, auditEpisodeId } };
}
