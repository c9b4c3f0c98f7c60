import { ChangelogStore } from '../../shared/kafka/changelog-store.js';
import type { Logger } from '../../shared/logger.js';
import { decodeVehicleSnapshot } from '../../shared/vehicles/vehicle-snapshot-codec.js';
import type { VehicleSnapshot } from '../../shared/vehicles/vehicle-snapshot.js';

/** The snapshots of the vehicles of the partitions the state stage owns, restored from `vehicle.state` itself (its own changelog; see ChangelogStore). */
export class SnapshotStore extends ChangelogStore<VehicleSnapshot> {
  constructor(logger: Logger) {
    super(logger, {
      what: 'vehicle snapshot',
      decode: (value) => {
        const d = decodeVehicleSnapshot(value);
        return d.kind === 'ok' ? { kind: 'ok', entry: d.snapshot } : { kind: 'invalid', reason: d.reason };
      },
      keyOf: (snapshot) => snapshot.vehicleId,
    });
  }
}
