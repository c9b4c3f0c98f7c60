import { ChangelogStore } from '../shared/kafka/changelog-store.js';
import type { Logger } from '../shared/logger.js';
import { decodeVehicleState } from './rules/vehicle-state-codec.js';
import type { VehicleState } from './rules/vehicle-state.js';

/** The rule states of the vehicles of the owned partitions, restored from `deriver.vehicle-state` (see ChangelogStore). */
export class VehicleStateStore extends ChangelogStore<VehicleState> {
  constructor(logger: Logger) {
    super(logger, {
      what: 'vehicle state',
      decode: (value) => {
        const d = decodeVehicleState(value);
        return d.kind === 'ok' ? { kind: 'ok', entry: d.state } : { kind: 'invalid', reason: d.reason };
      },
      keyOf: (state) => state.vehicleId,
    });
  }
}
