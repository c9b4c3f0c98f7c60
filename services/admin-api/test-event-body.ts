import type { Subscription, SubscriptionSource } from '../shared/subscriptions/subscription-types.js';

/**
 * The body of a test event (DESIGN.md §5): the usual head with mode `test` and one
 * sample item of the subscription's kind. Form-encoded subscriptions get the head as
 * fields and `data` as a JSON string.
 */
export function testEventBody(sub: Subscription, webhookId: string, now: Date): string {
  const head = {
    id: webhookId,
    type: sub.source.kind,
    mode: 'test',
    accountId: sub.accountId,
    subscriptionId: sub.id,
    createdAt: now.toISOString(),
    retryCount: 0,
    queueDepth: 0,
  };
  const data = [sampleItem(sub.source, sub.accountId, now)];
  if (sub.contentType === 'application/json') return JSON.stringify({ ...head, data });
  const form = new URLSearchParams(Object.entries(head).map(([k, v]) => [k, String(v)]));
  form.set('data', JSON.stringify(data));
  return form.toString();
}

function sampleItem(source: SubscriptionSource, accountId: string, now: Date): Record<string, unknown> {
  const base = { vehicleId: 'veh_test', accountId, time: now.toISOString() };
  switch (source.kind) {
    case 'gps':
    case 'scheduled':
      return { ...base, lat: 52.52, lon: 13.405, speedKph: 42, heading: 90, ignition: true };
    case 'dtc':
      return { ...base, code: 'P0300', source: 'obd2', status: 'active', description: 'Random/multiple cylinder misfire detected' };
    case 'event':
      return { ...base, type: source.eventTypes[0]?.type ?? 'heartbeat' };
  }
}
