/**
 * Records of `webhook.parked` (key = subscription id), the durable backlog of parked
 * subscriptions (issue 5 §2–3, §6). Besides the items, an episode writes markers so that a
 * new owner rebuilds every subscription's parking state from this topic alone:
 * `begin` (parked: the head's last deliveries offset and the ticket's first due time),
 * `item` (one newer deliveries item, written once, in order), `end` (the drain reached the
 * end of the backlog: nothing more is appended for this episode) and `drained` (every item
 * before `end` was delivered; the episode is over). The record kind is a header so a
 * reader can skip items without parsing them. Pure: encode and a total decoder.
 */
export const parkedKindHeader = 'fleethook-parked-kind';
export const parkedEpisodeHeader = 'fleethook-episode';

export type ParkedRecord =
  | { readonly kind: 'begin'; readonly episodeId: string; readonly headThroughOffset: string; readonly firstFailureAtMs: number }
  | { readonly kind: 'item'; readonly episodeId: string; readonly deliveriesOffset: string; readonly value: string }
  | { readonly kind: 'end'; readonly episodeId: string }
  | { readonly kind: 'drained'; readonly episodeId: string };

export interface EncodedParkedRecord {
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

export function encodeParkedRecord(record: ParkedRecord): EncodedParkedRecord {
  const headers = { [parkedKindHeader]: record.kind, [parkedEpisodeHeader]: record.episodeId };
  switch (record.kind) {
    case 'item':
      // The original deliveries value, untouched: the drain decodes it like a live item.
      return { value: Buffer.from(record.value, 'utf8'), headers: { ...headers, 'fleethook-deliveries-offset': record.deliveriesOffset } };
    case 'begin':
      return { value: Buffer.from(JSON.stringify({ headThroughOffset: record.headThroughOffset, firstFailureAtMs: record.firstFailureAtMs })), headers };
    case 'end':
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
    case 'item': {
      const deliveriesOffset = text(headers?.['fleethook-deliveries-offset']);
      if (deliveriesOffset === undefined || !/^\d+$/.test(deliveriesOffset)) return { kind: 'invalid', reason: 'item without a decimal fleethook-deliveries-offset' };
      if (value === null) return { kind: 'invalid', reason: 'item without a value' };
      return { kind: 'record', record: { kind, episodeId, deliveriesOffset, value: value.toString('utf8') } };
    }
    case 'begin':
      return decodeBegin(value, episodeId);
    case 'end':
    case 'drained':
      return { kind: 'record', record: { kind, episodeId } };
    default:
      return { kind: 'invalid', reason: `unknown ${parkedKindHeader} ${JSON.stringify(kind)}` };
  }
}

function decodeBegin(value: Buffer | null, episodeId: string): DecodedParked {
  let raw: unknown;
  try {
    raw = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    return { kind: 'invalid', reason: 'begin value is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { kind: 'invalid', reason: 'begin value is not an object' };
  const { headThroughOffset, firstFailureAtMs } = raw as Record<string, unknown>;
  if (typeof headThroughOffset !== 'string' || !/^\d+$/.test(headThroughOffset) || !Number.isInteger(firstFailureAtMs)) {
    return { kind: 'invalid', reason: 'begin needs a decimal headThroughOffset and an integer firstFailureAtMs' };
  }
  return { kind: 'record', record: { kind: 'begin', episodeId, headThroughOffset, firstFailureAtMs: firstFailureAtMs as number } };
}
