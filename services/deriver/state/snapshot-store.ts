import { CatchUp } from '../../shared/kafka/catch-up.js';
import type { ConsumedRecord } from '../../shared/kafka/kafka-port.js';
import type { Logger } from '../../shared/logger.js';
import { decodeVehicleSnapshot } from '../../shared/vehicles/vehicle-snapshot-codec.js';
import type { VehicleSnapshot } from '../../shared/vehicles/vehicle-snapshot.js';

/**
 * The snapshots of the vehicles of the partitions the state stage owns, restored from
 * `vehicle.state` itself (the topic is its own changelog), as the deriver restores its
 * rule states: a new generation forgets everything, holds each partition and reads its
 * `vehicle.state` partition to the end it had; only then are that partition's telemetry
 * records applied, and the stage's own writes keep the map current.
 */
export class SnapshotStore {
  private readonly snapshots = new Map<string, VehicleSnapshot>();
  private restore = new CatchUp();
  private generationNo = 0;

  constructor(private readonly logger: Logger) {}

  get generation(): number {
    return this.generationNo;
  }

  get size(): number {
    return this.snapshots.size;
  }

  view(): ReadonlyMap<string, VehicleSnapshot> {
    return this.snapshots;
  }

  begin(generation: number, partitions: readonly number[]): void {
    this.generationNo = generation;
    this.snapshots.clear();
    this.restore = new CatchUp();
    for (const p of partitions) this.restore.hold(p);
  }

  isRestoring(partition: number): boolean {
    return this.restore.isCatchingUp(partition);
  }

  /** The partition must be read from `low` to `high` (exclusive); true when it is restored already. */
  expect(partition: number, low: bigint, high: bigint): boolean {
    return this.restore.expect(partition, low, high);
  }

  /** Applies `vehicle.state` records read while restoring; true when this restored the partition. */
  applyChangelog(partition: number, records: readonly ConsumedRecord[], next: bigint): boolean {
    for (const r of records) {
      const vehicleId = r.key?.toString('utf8');
      if (vehicleId === undefined) continue;
      if (r.value === null) {
        this.snapshots.delete(vehicleId);
        continue;
      }
      const decoded = decodeVehicleSnapshot(r.value);
      if (decoded.kind === 'ok' && decoded.snapshot.vehicleId === vehicleId) this.snapshots.set(vehicleId, decoded.snapshot);
      else {
        // The vehicle starts afresh from its next records rather than from a guess.
        this.snapshots.delete(vehicleId);
        this.logger.warn('skipping undecodable vehicle snapshot', { partition, offset: r.offset, vehicleId, reason: decoded.kind === 'invalid' ? decoded.reason : 'key does not match vehicleId' });
      }
    }
    return this.restore.advance(partition, next);
  }

  keep(snapshots: ReadonlyMap<string, VehicleSnapshot>): void {
    for (const [vehicleId, s] of snapshots) this.snapshots.set(vehicleId, s);
  }
}
