import type { VehicleEvent } from '../../../schemas/telemetry-records.js';
import { speedIn } from '../../shared/telemetry/speed-units.js';
import type { EventSelection, StoredSubscription } from '../../shared/subscriptions/subscription-types.js';
import type { TelemetryItemKind } from '../delivery-item.js';
import type { TelemetryRecord } from './telemetry-record.js';

interface CompiledSubscription {
  readonly id: string;
  readonly kind: TelemetryItemKind;
  readonly vehicles: ReadonlySet<string> | null;
  readonly events: readonly EventSelection[];
}

/**
 * Decides which subscriptions receive a telemetry record (pure). Only `active`
 * subscriptions receive live data; `scheduled` ones are served by the scheduler, not here.
 * Indexed by account and kind, so a record is compared only with its account's
 * subscriptions of its kind.
 */
export class SubscriptionMatcher {
  /** Kind → account → subscriptions (no key string built per record). */
  private readonly index = new Map<TelemetryItemKind, Map<string, CompiledSubscription[]>>();

  constructor(subscriptions: Iterable<StoredSubscription>) {
    for (const sub of subscriptions) {
      const compiled = compile(sub);
      if (compiled === null) continue;
      let byAccount = this.index.get(compiled.kind);
      if (byAccount === undefined) this.index.set(compiled.kind, (byAccount = new Map()));
      const list = byAccount.get(sub.accountId);
      if (list === undefined) byAccount.set(sub.accountId, [compiled]);
      else list.push(compiled);
    }
  }

  /** Ids of the subscriptions `telemetry` matches, in catalogue order. */
  match(telemetry: TelemetryRecord): string[] {
    const { record } = telemetry;
    const candidates = this.index.get(telemetry.kind)?.get(record.accountId);
    if (candidates === undefined) return [];
    const out: string[] = [];
    for (const sub of candidates) {
      if (sub.vehicles !== null && !sub.vehicles.has(record.vehicleId)) continue;
      if (telemetry.kind === 'event' && !sub.events.some((sel) => eventMatches(sel, telemetry.record))) continue;
      out.push(sub.id);
    }
    return out;
  }
}

function compile(sub: StoredSubscription): CompiledSubscription | null {
  // A failing (parked) subscription keeps collecting: its data waits in the backlog.
  if ((sub.state !== 'active' && sub.state !== 'failing') || sub.source.kind === 'scheduled') return null;
  const vehicles = sub.vehicleFilter === null || sub.vehicleFilter.vehicleIds.length === 0 ? null : new Set(sub.vehicleFilter.vehicleIds);
  const events = sub.source.kind === 'event' ? sub.source.eventTypes : [];
  return { id: sub.id, kind: sub.source.kind, vehicles, events };
}

/** An event selection and its parameters (speed rule, idle minutes, landmark ids) against one event. */
export function eventMatches(sel: EventSelection, event: VehicleEvent): boolean {
  switch (sel.type) {
    // A derived speed event names the rule it was computed for (one event per rule and episode):
    // it goes to the subscriptions of exactly that rule. A device's event is compared with the threshold.
    case 'speeding':
    case 'posted_speeding': {
      if (sel.type !== event.type) return false;
      if (isDerivedSpeedRule(event)) return event.speedUnits === sel.units && event.speedThreshold === sel.threshold;
      const floorKmh = sel.type === 'speeding' ? 0 : event.speedLimitKmh;
      return typeof event.speedKmh === 'number' && typeof floorKmh === 'number'
        && speedIn(sel.units, event.speedKmh) >= speedIn(sel.units, floorKmh) + sel.threshold - 1e-9;
    }
    case 'idle':
      return event.type === 'idle' && (sel.minutes === undefined || (typeof event.durationMs === 'number' && event.durationMs >= sel.minutes * 60_000));
    case 'landmark_enter':
    case 'landmark_leave':
    case 'landmark_change': {
      const typeMatches = sel.type === 'landmark_change' ? event.type === 'landmark_enter' || event.type === 'landmark_leave' : sel.type === event.type;
      return typeMatches && (sel.landmarkIds === undefined || (typeof event.landmarkId === 'string' && sel.landmarkIds.includes(event.landmarkId)));
    }
    default:
      return sel.type === event.type;
  }
}

function isDerivedSpeedRule(event: VehicleEvent): boolean {
  return event.speedUnits !== undefined && event.speedUnits !== null && typeof event.speedThreshold === 'number';
}
