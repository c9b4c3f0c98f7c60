import { expect } from 'vitest';
import { decodeFailureEvent } from '../../schemas/failure-event.js';
import type { FailureEvent } from '../../schemas/failure-event.js';
import type { DispatcherHarness } from './dispatcher-harness.js';
import { readTopic } from './topic-reader.js';
import type { RecordedRequest } from './webhook-receiver.js';

/** What the parking tests read from a webhook body. */
export interface DeliveredBody { retryCount: number; data: { vehicleId: string; seq: number }[] }

export const bodyOf = (r: RecordedRequest): DeliveredBody => JSON.parse(r.text) as DeliveredBody;
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Items of the requests an endpoint accepted, first copy per webhook-id; asserts every repeat carries the same items as its first copy. */
export function acceptedItems(accepted: readonly RecordedRequest[]): DeliveredBody['data'] {
  const first = new Map<string, string>();
  const items: DeliveredBody['data'] = [];
  for (const r of accepted) {
    const id = r.headers['webhook-id'] as string;
    const data = JSON.stringify(bodyOf(r).data);
    const seen = first.get(id);
    if (seen !== undefined) {
      expect(data).toBe(seen);
      continue;
    }
    first.set(id, data);
    items.push(...bodyOf(r).data);
  }
  return items;
}

/** A subscription's events on the harness's `webhook.failures`, in topic order. */
export async function failureEvents(h: DispatcherHarness, subscriptionId: string): Promise<FailureEvent[]> {
  const records = await readTopic(h.kafka, h.topics.get('webhook.failures').name);
  return records.filter((r) => r.key === subscriptionId).map((r) => {
    const d = decodeFailureEvent(r.value);
    if (d.kind !== 'ok') throw new Error(`bad failure event: ${d.reason}`);
    return d.event;
  });
}
