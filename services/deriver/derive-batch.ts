import type { VehicleEvent } from '../../schemas/telemetry-records.js';
import type { DeriveParams } from './rules/derive-params.js';
import { stepVehicle } from './rules/step-vehicle.js';
import type { SourcePoint, StepOutcome } from './rules/step-vehicle.js';
import type { VehicleState } from './rules/vehicle-state.js';

export interface DerivedBatch {
  /** Every event of the batch, in point order. */
  readonly events: readonly VehicleEvent[];
  /** The new state of each vehicle the batch changed (its last one), to write to the changelog and then keep. */
  readonly states: ReadonlyMap<string, VehicleState>;
  readonly outcomes: Readonly<Record<StepOutcome, number>>;
}

/**
 * Runs the rules over one partition's points in order (pure): the states read are those
 * of `states` overlaid with the batch's own changes, and `states` itself is left alone,
 * so a batch whose writes fail leaves the deriver's memory as it was.
 */
export function deriveBatch(
  states: ReadonlyMap<string, VehicleState>,
  points: readonly SourcePoint[],
  paramsOf: (accountId: string) => DeriveParams,
): DerivedBatch {
  const changed = new Map<string, VehicleState>();
  const events: VehicleEvent[] = [];
  const outcomes: Record<StepOutcome, number> = { applied: 0, replayed: 0, out_of_order: 0 };
  for (const source of points) {
    const vehicleId = source.point.vehicleId;
    const prev = changed.get(vehicleId) ?? states.get(vehicleId) ?? null;
    const step = stepVehicle(prev, source, paramsOf(source.point.accountId));
    outcomes[step.outcome] += 1;
    if (step.outcome === 'replayed') continue;
    changed.set(vehicleId, step.state);
    events.push(...step.events);
  }
  return { events, states: changed, outcomes };
}
