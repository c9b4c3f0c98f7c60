import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import type { PublishedRecord } from './chaos-fleet.js';

/**
 * The run's subscriptions, one endpoint each. `control` ones are never faulted: the
 * failover latency figures are theirs. Every kind and both content types appear.
 */
export interface ChaosSubscriptionPlan {
  readonly name: string;
  readonly role: 'control' | 'faultable';
  readonly kind: 'gps' | 'dtc' | 'event';
  readonly source: Subscription['source'];
  readonly contentType: Subscription['contentType'];
  readonly batching: Subscription['batching'];
  readonly vehicleFilter: readonly string[] | null;
  /** Per-vehicle order (GPS, events) or order of the subscription's whole stream (DTC). */
  readonly orderScope: 'vehicle' | 'subscription';
  readonly matches: (r: PublishedRecord) => boolean;
}

const json = 'application/json';
const form = 'application/x-www-form-urlencoded';

export function chaosSubscriptionPlans(vehicles: readonly string[]): ChaosSubscriptionPlan[] {
  const half = vehicles.filter((_, i) => i % 2 === 0);
  const inFilter = (filter: readonly string[] | null, r: PublishedRecord): boolean => filter === null || filter.includes(r.vehicleId);
  const gps = (name: string, role: ChaosSubscriptionPlan['role'], contentType: Subscription['contentType'], batching: Subscription['batching'], vehicleFilter: readonly string[] | null): ChaosSubscriptionPlan => ({
    name, role, kind: 'gps', source: { kind: 'gps' }, contentType, batching, vehicleFilter, orderScope: 'vehicle',
    matches: (r) => r.kind === 'gps' && inFilter(vehicleFilter, r),
  });
  const dtc = (name: string, role: ChaosSubscriptionPlan['role'], contentType: Subscription['contentType'], batching: Subscription['batching']): ChaosSubscriptionPlan => ({
    name, role, kind: 'dtc', source: { kind: 'dtc' }, contentType, batching, vehicleFilter: null, orderScope: 'subscription',
    matches: (r) => r.kind === 'dtc',
  });
  return [
    gps('gps-json-ctl', 'control', json, { maxItems: 50, maxWaitMs: 1_000 }, null),
    dtc('dtc-form-ctl', 'control', form, { maxItems: 20, maxWaitMs: 500 }),
    {
      name: 'event-json-ctl', role: 'control', kind: 'event', source: { kind: 'event', eventTypes: [{ type: 'ignition_on' }, { type: 'speeding', threshold: 100, units: 'kmh' }] },
      contentType: json, batching: { maxItems: 5, maxWaitMs: 300 }, vehicleFilter: null, orderScope: 'vehicle',
      matches: (r) => r.kind === 'event' && (r.eventType === 'ignition_on' || (r.eventType === 'speeding' && (r.speedKmh ?? 0) >= 100)),
    },
    gps('gps-json-a', 'faultable', json, { maxItems: 100, maxWaitMs: 1_000 }, null),
    gps('gps-form-half', 'faultable', form, { maxItems: 20, maxWaitMs: 500 }, half),
    gps('gps-json-b', 'faultable', json, { maxItems: 200, maxWaitMs: 2_000 }, null),
    dtc('dtc-json', 'faultable', json, { maxItems: 50, maxWaitMs: 1_000 }),
    {
      name: 'event-form', role: 'faultable', kind: 'event', source: { kind: 'event', eventTypes: [{ type: 'heartbeat' }, { type: 'ignition_off' }] },
      contentType: form, batching: { maxItems: 1, maxWaitMs: 0 }, vehicleFilter: null, orderScope: 'vehicle',
      matches: (r) => r.kind === 'event' && (r.eventType === 'heartbeat' || r.eventType === 'ignition_off'),
    },
  ];
}
