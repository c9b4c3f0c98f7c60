import type { VehicleStateRegistry } from '../shared/vehicles/vehicle-state-registry.js';
import type { VehicleSnapshot } from '../shared/vehicles/vehicle-snapshot.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';

/** Vehicle ids are what telemetry carries: 1–128 characters, no control characters. */
const vehicleIdPattern = /^(?=[^]*\S)[^\p{Cc}]{1,128}$/u;

/**
 * Reads a vehicle's latest state: first catches up with `vehicle.state`, then answers
 * from memory. A vehicle of another account is a 404, like one never seen.
 */
export class VehicleStateService {
  constructor(private readonly registry: VehicleStateRegistry, private readonly readTimeoutMs: number) {}

  async get(principal: Principal, vehicleId: string): Promise<VehicleSnapshot> {
    if (!vehicleIdPattern.test(vehicleId)) throw new ApiError('not_found', 'no such vehicle', 'vehicleId');
    await this.registry.catchUp(this.readTimeoutMs);
    const snapshot = this.registry.get(vehicleId);
    if (snapshot === undefined || (principal.kind === 'account' && snapshot.accountId !== principal.accountId)) {
      throw new ApiError('not_found', `vehicle ${vehicleId} has no state`, 'vehicleId');
    }
    return snapshot;
  }
}
