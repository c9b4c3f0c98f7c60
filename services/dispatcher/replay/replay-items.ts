import type { StoredSubscription } from '../../shared/subscriptions/subscription-types.js';
import type { DecodeResult } from '../../shared/telemetry/telemetry-decoder.js';
import type { TelemetryValidators } from '../../shared/telemetry/telemetry-rules.js';
import type { DeliveryItem, TelemetryItemKind } from '../delivery-item.js';
import { SubscriptionMatcher } from '../match/subscription-matcher.js';
import { checkTelemetryRecord, endpointData } from '../match/telemetry-record.js';

export interface ReplayWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * The items a replay sends from decoded telemetry records (pure): the records the live
 * match stage would have passed (shared rules), matched against this one subscription
 * with the live matcher (`match/subscription-matcher.ts`), whose time lies in
 * [from, to]. Records that do not decode or break the rules were dead letters, never data.
 */
export function replayItems(input: {
  readonly sub: StoredSubscription;
  readonly kind: TelemetryItemKind;
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly { readonly offset: string; readonly decoded: DecodeResult }[];
  readonly validators: TelemetryValidators;
  readonly window: ReplayWindow;
}): DeliveryItem[] {
  const matcher = new SubscriptionMatcher([input.sub]);
  const out: DeliveryItem[] = [];
  for (const r of input.records) {
    if (r.decoded.kind !== 'decoded') continue;
    const checked = checkTelemetryRecord(input.kind, r.decoded.value, input.validators);
    if (checked.kind !== 'ok') continue;
    const { record } = checked.value;
    if (record.time < input.window.fromMs || record.time > input.window.toMs) continue;
    if (matcher.match(checked.value).length === 0) continue;
    out.push({
      subscriptionId: input.sub.id, kind: input.kind, vehicleId: record.vehicleId, seq: record.seq ?? null, recordTimeMs: record.time,
      origin: { topic: input.topic, partition: input.partition, offset: r.offset }, dataJson: JSON.stringify(endpointData(record)),
      ...(record.simulated === true ? { simulated: true } : {}),
    });
  }
  return out;
}
