import type { FieldIssue } from '../shared/errors.js';
import { idItem } from '../shared/subscriptions/decode-source.js';
import { limits } from '../shared/subscriptions/subscription-types.js';
import type { VehicleFilter } from '../shared/subscriptions/subscription-types.js';

export type VehicleFilterChange =
  | { readonly kind: 'changed'; readonly vehicleFilter: VehicleFilter }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'invalid'; readonly issue: FieldIssue }
  | { readonly kind: 'conflict'; readonly message: string };

/**
 * Per-vehicle subscribe (`PUT /v1/subscriptions/:id/vehicles/:vehicleId`) and unsubscribe
 * (`DELETE`), pure. Both are idempotent. A subscription without a vehicle filter takes
 * every vehicle: subscribing one changes nothing, and unsubscribing one is refused (there
 * is no "all but" filter). Unsubscribing the last vehicle is refused too: an empty filter
 * would take every vehicle again (pause or delete the subscription instead).
 */
export function changeVehicleFilter(current: VehicleFilter | null, op: 'subscribe' | 'unsubscribe', vehicleId: string): VehicleFilterChange {
  if (vehicleId.length > idItem.maxLength || !idItem.pattern.test(vehicleId)) {
    return { kind: 'invalid', issue: { field: 'path.vehicleId', message: idItem.hint } };
  }
  const held = current?.vehicleIds ?? null;
  if (op === 'subscribe') {
    if (held === null || held.includes(vehicleId)) return { kind: 'unchanged' };
    if (held.length >= limits.maxVehicleIds) {
      return { kind: 'invalid', issue: { field: 'vehicleFilter.vehicleIds', message: `must have at most ${limits.maxVehicleIds} items` } };
    }
    return { kind: 'changed', vehicleFilter: { vehicleIds: [...held, vehicleId] } };
  }
  if (held === null) return { kind: 'conflict', message: 'the subscription takes every vehicle of the account (no vehicleFilter); set a vehicleFilter to choose vehicles' };
  if (!held.includes(vehicleId)) return { kind: 'unchanged' };
  if (held.length === 1) return { kind: 'conflict', message: 'it is the last vehicle of the filter; an empty filter would take every vehicle (pause or delete the subscription instead)' };
  return { kind: 'changed', vehicleFilter: { vehicleIds: held.filter((v) => v !== vehicleId) } };
}
