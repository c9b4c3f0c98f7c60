import { decodeDeliveryItem } from '../../services/dispatcher/delivery-item.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { checkSubscription, itemKey } from '../helpers/delivery-invariants.js';
import type { ExpectedItem, SubscriptionVerdict } from '../helpers/delivery-invariants.js';
import type { DispatcherHarness } from '../helpers/dispatcher-harness.js';
import type { FaultEndpoint } from '../helpers/fault-endpoint.js';
import { readTopic } from '../helpers/topic-reader.js';
import { parseDelivery } from '../helpers/webhook-delivery.js';
import type { ParsedDelivery } from '../helpers/webhook-delivery.js';
import type { ChaosFleet } from './chaos-fleet.js';
import type { ChaosSubscriptionPlan } from './chaos-subscriptions.js';
import type { LatencySample } from './failover-latency.js';

/** A subscription of the run with its endpoint. */
export interface ChaosSubscription {
  readonly plan: ChaosSubscriptionPlan;
  readonly endpoint: FaultEndpoint;
  readonly sub: Subscription;
}

/** Parsed once per request: the drain loop re-checks every second. */
const parseCache = new WeakMap<FaultEndpoint['received'][number], ReturnType<typeof parseDelivery>>();

export function parsedAll(s: ChaosSubscription, requests: FaultEndpoint['received']): { ok: ParsedDelivery[]; unreadable: number } {
  const ok: ParsedDelivery[] = [];
  let unreadable = 0;
  for (const r of requests) {
    let p = parseCache.get(r);
    if (p === undefined) parseCache.set(r, (p = parseDelivery(r, s.sub.signing.current)));
    if (p.kind === 'ok') ok.push(p.delivery);
    else unreadable++;
  }
  return { ok, unreadable };
}

/** Item keys per subscription on `webhook.audit` or `webhook.deliveries`, in topic order. */
export async function itemsOnTopic(h: DispatcherHarness, topicId: 'webhook.audit' | 'webhook.deliveries'): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const r of await readTopic(h.kafka, h.topics.get(topicId).name, 60_000)) {
    const d = decodeDeliveryItem(r.value);
    if (d.kind !== 'item' || d.item.seq === null) continue;
    const list = out.get(d.item.subscriptionId) ?? [];
    list.push(itemKey(d.item.vehicleId, d.item.seq));
    out.set(d.item.subscriptionId, list);
  }
  return out;
}

/** The end-of-run checks for one subscription, from what the fleet published and the endpoint got. */
export function verdictFor(s: ChaosSubscription, fleet: ChaosFleet, audited: ReadonlySet<string>, matched: readonly string[] | undefined, referenceOrder?: readonly string[]): SubscriptionVerdict {
  const expected: ExpectedItem[] = fleet.published.filter(s.plan.matches).map((r) => ({ vehicleId: r.vehicleId, seq: r.seq, publishedAtMs: r.publishedAtMs }));
  const uncertain = new Set(fleet.uncertain.filter(s.plan.matches).map((r) => itemKey(r.vehicleId, r.seq)));
  const gone = s.endpoint.replies.find((r) => r.status === 410);
  return checkSubscription({
    subscriptionId: s.sub.id, orderScope: s.plan.orderScope, expected, uncertain, audited,
    accepted: parsedAll(s, s.endpoint.accepted).ok, received: parsedAll(s, s.endpoint.received).ok, referenceOrder,
    deactivatedAtMs: gone?.at ?? null, matched: gone === undefined || matched === undefined ? undefined : new Set(matched),
  });
}

/** Record → receipt of the first copy of every item the control (never faulted) endpoints accepted. */
export function latencySamples(subs: readonly ChaosSubscription[]): LatencySample[] {
  const samples: LatencySample[] = [];
  for (const s of subs.filter((x) => x.plan.role === 'control')) {
    const seen = new Set<string>();
    for (const d of parsedAll(s, s.endpoint.accepted).ok) {
      for (const item of d.items) {
        const key = itemKey(item.vehicleId, item.seq);
        if (seen.has(key)) continue;
        seen.add(key);
        samples.push({ recordTimeMs: item.recordTimeMs, receivedAt: d.receivedAt, maxWaitMs: s.plan.batching.maxWaitMs });
      }
    }
  }
  return samples;
}
