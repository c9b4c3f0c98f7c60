import type { DecodeResult } from '../../shared/telemetry/telemetry-decoder.js';
import type { TelemetryValidators } from '../../shared/telemetry/telemetry-rules.js';
import { messageBytes } from '../../shared/kafka-message-size.js';
import { itemEncoder } from '../delivery-item.js';
import type { TelemetryItemKind, ItemOrigin } from '../delivery-item.js';
import type { SubscriptionMatcher } from './subscription-matcher.js';
import { checkTelemetryRecord, endpointData } from './telemetry-record.js';

/** Why a record went to the dead-letter topic; a bounded metric label. */
export const deadLetterCauses = ['undecodable', 'invalid', 'too_large', 'refused'] as const;
export type DeadLetterCause = (typeof deadLetterCauses)[number];

/** A `webhook.deliveries` record, keyed by subscription id; its value is the item's text (written as UTF-8). No timestamp: see `routeRecord`. */
export interface ItemMessage {
  readonly key: string;
  readonly value: string;
}

export type Routed =
  | { readonly kind: 'items'; readonly messages: readonly ItemMessage[] }
  | { readonly kind: 'dead'; readonly cause: DeadLetterCause; readonly reason: string };

export interface RouteInput {
  readonly kind: TelemetryItemKind;
  readonly decoded: DecodeResult;
  readonly origin: ItemOrigin;
  readonly matcher: SubscriptionMatcher;
  readonly validators: TelemetryValidators;
  /** The largest `webhook.deliveries` record the broker takes (its `max.message.bytes` less overhead). */
  readonly itemBudgetBytes: number;
}

/**
 * The match stage's decision for one telemetry record (pure): dead-letter it (it does not
 * decode, breaks the shared telemetry rules, or its item would be larger than
 * `webhook.deliveries` accepts) or one item per matching subscription (none is fine).
 *
 * The items carry no Kafka timestamp, so the producer stamps them with the time they are
 * written (ingest time). The telemetry time stays in the item (`recordTimeMs`, and `time`
 * in the data): a device's clock must never decide whether the broker accepts the write
 * (`message.timestamp.after.max.ms`, 1 h by default, refused a record from the future and
 * stopped the partition) nor when retention deletes the item (an old record time would
 * age the item out of `webhook.deliveries` early).
 */
export function routeRecord(input: RouteInput): Routed {
  const { decoded, kind } = input;
  if (decoded.kind === 'poison') return { kind: 'dead', cause: 'undecodable', reason: decoded.reason };
  const checked = checkTelemetryRecord(kind, decoded.value, input.validators);
  if (checked.kind === 'invalid') return { kind: 'dead', cause: 'invalid', reason: checked.reason };
  const ids = input.matcher.match(checked.value);
  if (ids.length === 0) return { kind: 'items', messages: [] };
  const { record } = checked.value;
  const head = { kind, vehicleId: record.vehicleId, seq: record.seq ?? null, recordTimeMs: record.time, origin: input.origin };
  const encode = itemEncoder(record.simulated === true ? { ...head, simulated: true } : head, JSON.stringify(endpointData(record)));
  const messages: ItemMessage[] = [];
  for (const subscriptionId of ids) {
    const message = { key: subscriptionId, value: encode(subscriptionId) };
    const bytes = messageBytes(message);
    if (bytes > input.itemBudgetBytes) {
      return { kind: 'dead', cause: 'too_large', reason: `its delivery item of ${bytes} bytes exceeds the ${input.itemBudgetBytes} bytes webhook.deliveries accepts` };
    }
    messages.push(message);
  }
  return { kind: 'items', messages };
}
