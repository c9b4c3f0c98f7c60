import type { AdminClient } from './admin-client.js';

/** What the demo subscribes the sample receiver to: one of each live kind, and a scheduled one (every minute, from the deriver's vehicle states). */
export function demoSubscriptionSpecs(receiverUrl: string): Array<Record<string, unknown>> {
  return [
    { name: 'demo gps', url: `${receiverUrl}/gps`, source: { kind: 'gps' }, batching: { maxItems: 100, maxWaitMs: 2_000 } },
    { name: 'demo dtc', url: `${receiverUrl}/dtc`, source: { kind: 'dtc' }, batching: { maxItems: 50, maxWaitMs: 2_000 } },
    {
      name: 'demo events',
      url: `${receiverUrl}/events`,
      source: {
        kind: 'event',
        // Device events (temperature, DVIR, driver) and the deriver's: ignition, trips, idling,
        // speeding over 50 mph or 10 km/h over the posted limit, entering and leaving any landmark.
        eventTypes: [
          { type: 'temperature' }, { type: 'dvir' }, { type: 'driver_assignment' }, { type: 'ignition_on' }, { type: 'ignition_off' },
          { type: 'trip_complete' }, { type: 'idle', minutes: 1 }, { type: 'speeding', threshold: 50, units: 'mph' },
          { type: 'posted_speeding', threshold: 10, units: 'kmh' }, { type: 'landmark_change' },
        ],
      },
      contentType: 'application/x-www-form-urlencoded',
    },
    {
      name: 'demo scheduled',
      url: `${receiverUrl}/scheduled`,
      source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 1 }, fields: ['location', 'speed', 'odometer', 'ignition', 'activeDtcs'], units: 'metric' },
    },
  ];
}

export interface CreatedSubscription {
  readonly id: string;
  readonly name: string;
  readonly signingSecret: string;
}

/** Deletes what an earlier, interrupted demo left in the demo account. */
export async function deleteAllSubscriptions(admin: AdminClient): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await admin.call('GET', '/v1/subscriptions?limit=100');
    const items = (page.data ?? []) as Array<{ id: string }>;
    if (items.length === 0) return deleted;
    for (const item of items) {
      await admin.call('DELETE', `/v1/subscriptions/${item.id}`);
      deleted++;
    }
  }
}

export async function createSubscription(admin: AdminClient, spec: Record<string, unknown>): Promise<CreatedSubscription> {
  const created = await admin.call('POST', '/v1/subscriptions', spec);
  const subscription = created.subscription as { id: string; name: string };
  return { id: subscription.id, name: subscription.name, signingSecret: String(created.signingSecret) };
}
