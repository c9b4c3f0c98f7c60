import { CatchUp } from '../shared/kafka/catch-up.js';
import type { ConsumedRecord } from '../shared/kafka/kafka-port.js';
import type { Logger } from '../shared/logger.js';
import { decodeVehicleState } from './rules/vehicle-state-codec.js';
import type { VehicleState } from './rules/vehicle-state.js';

/**
 * The states of the vehicles of the partitions this member owns, restored from the
 * changelog the way Kafka Streams does: a new generation forgets everything, holds each
 * partition, and reads its changelog partition to the end it had when the generation
 * began; only then are that partition's GPS points processed. Afterwards the deriver's
 * own writes keep the map current (the changelog is no longer read).
 */
export class VehicleStateStore {
  private readonly states = new Map<string, VehicleState>();
  private restore = new CatchUp();
  private generationNo = 0;

  constructor(private readonly logger: Logger) {}

  get generation(): number {
    return this.generationNo;
  }

  get size(): number {
    return this.states.size;
  }

  view(): ReadonlyMap<string, VehicleState> {
    return this.states;
  }

  /** A new generation: every partition it owns is held until restored. */
  begin(generation: number, partitions: readonly number[]): void {
    this.generationNo = generation;
    this.states.clear();
    this.restore = new CatchUp();
    for (const p of partitions) this.restore.hold(p);
  }

  isRestoring(partition: number): boolean {
    return this.restore.isCatchingUp(partition);
  }

  /** The changelog partition must be read from `low` to `high` (exclusive); true when it is restored already. */
  expect(partition: number, low: bigint, high: bigint): boolean {
    return this.restore.expect(partition, low, high);
  }

  /** Applies changelog records read while restoring; true when this restored the partition. */
  applyChangelog(partition: number, records: readonly ConsumedRecord[], next: bigint): boolean {
    for (const r of records) {
      const vehicleId = r.key?.toString('utf8');
      if (vehicleId === undefined) continue;
      if (r.value === null) {
        this.states.delete(vehicleId);
        continue;
      }
      const decoded = decodeVehicleState(r.value);
      if (decoded.kind === 'ok' && decoded.state.vehicleId === vehicleId) this.states.set(vehicleId, decoded.state);
      else {
        // The vehicle starts afresh rather than run the rules on a guess.
        this.states.delete(vehicleId);
        this.logger.warn('skipping undecodable vehicle state', { partition, offset: r.offset, vehicleId, reason: decoded.kind === 'invalid' ? decoded.reason : 'key does not match vehicleId' });
      }
    }
    return this.restore.advance(partition, next);
  }

  /** Keeps the states a batch wrote (once the changelog has them). */
  keep(states: ReadonlyMap<string, VehicleState>): void {
    for (const [vehicleId, state] of states) this.states.set(vehicleId, state);
  }
}
