/**
 * A record on `scheduler.slots` (compacted, key = subscription id, one partition): the
 * subscription's last slot, `claimed` before its parts are written to `webhook.deliveries`
 * and `written` after. The claim's offset is the parts' origin, so parts written again for
 * the same claim are copies the dispatcher skips.
 */
export type SlotState = 'claimed' | 'written';

export interface SlotRecord {
  readonly subscriptionId: string;
  /** The slot's boundary in schedule time (epoch ms; see the scheduler's time scale). */
  readonly slotMs: number;
  readonly state: SlotState;
  /** For `written`: the offset of the claim it completes. */
  readonly claimOffset?: string;
}

export type DecodedSlotRecord = { readonly kind: 'record'; readonly record: SlotRecord } | { readonly kind: 'invalid'; readonly reason: string };

export function encodeSlotRecord(r: SlotRecord): string {
  return JSON.stringify({ v: 1, ...r });
}

export function decodeSlotRecord(value: Buffer): DecodedSlotRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'value is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { kind: 'invalid', reason: 'not an object' };
  const o = raw as Record<string, unknown>;
  if (o.v !== 1) return { kind: 'invalid', reason: 'not a version 1 slot record' };
  if (typeof o.subscriptionId !== 'string' || o.subscriptionId.length === 0) return { kind: 'invalid', reason: 'subscriptionId missing' };
  if (!Number.isSafeInteger(o.slotMs)) return { kind: 'invalid', reason: 'slotMs malformed' };
  if (o.state !== 'claimed' && o.state !== 'written') return { kind: 'invalid', reason: 'state must be claimed or written' };
  if (o.claimOffset !== undefined && (typeof o.claimOffset !== 'string' || !/^\d+$/.test(o.claimOffset))) return { kind: 'invalid', reason: 'claimOffset malformed' };
  const record: SlotRecord = { subscriptionId: o.subscriptionId, slotMs: o.slotMs as number, state: o.state, ...(o.claimOffset === undefined ? {} : { claimOffset: o.claimOffset as string }) };
  return { kind: 'record', record };
}
