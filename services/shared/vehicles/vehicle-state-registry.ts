import { CompactedTopicReader } from '../compacted/compacted-topic-reader.js';
import type { KafkaClient } from '../kafka/kafka-port.js';
import type { Logger } from '../logger.js';
import { decodeVehicleSnapshot } from './vehicle-snapshot-codec.js';
import type { VehicleSnapshot } from './vehicle-snapshot.js';

/**
 * Every vehicle's latest state, materialised from the compacted `vehicle.state` (key =
 * vehicleId, a null value deletes) by a `CompactedTopicReader`. Read-only: the deriver's
 * state stage writes the topic. Holds one snapshot per vehicle (about 1 KB each).
 */
export class VehicleStateRegistry {
  private readonly snapshots = new Map<string, VehicleSnapshot>();
  private readonly reader: CompactedTopicReader;

  constructor(private readonly options: { kafka: KafkaClient; topic: string; logger: Logger; groupIdPrefix: string }) {
    this.reader = new CompactedTopicReader({
      kafka: options.kafka, topic: options.topic, logger: options.logger, name: 'vehicle-state', groupIdPrefix: options.groupIdPrefix,
      apply: (key, value, partition, offset) => this.apply(key, value, partition, offset),
    });
  }

  start(timeoutMs?: number): Promise<void> {
    return this.reader.start(timeoutMs);
  }

  ready(): boolean {
    return this.reader.ready();
  }

  /** Resolves once every snapshot written before the call is applied. */
  catchUp(timeoutMs: number): Promise<void> {
    return this.reader.catchUp(timeoutMs);
  }

  get(vehicleId: string): VehicleSnapshot | undefined {
    return this.snapshots.get(vehicleId);
  }

  /** The latest states of an account's vehicles (a scan: one per scheduled slot, not per record). */
  ofAccount(accountId: string): VehicleSnapshot[] {
    const out: VehicleSnapshot[] = [];
    for (const s of this.snapshots.values()) if (s.accountId === accountId) out.push(s);
    return out;
  }

  get size(): number {
    return this.snapshots.size;
  }

  close(): Promise<void> {
    return this.reader.close();
  }

  private apply(key: string, value: Buffer | null, partition: number, offset: string): void {
    if (value === null) {
      this.snapshots.delete(key);
      return;
    }
    const decoded = decodeVehicleSnapshot(value);
    if (decoded.kind === 'invalid' || decoded.snapshot.vehicleId !== key) {
      const reason = decoded.kind === 'invalid' ? decoded.reason : 'key does not match vehicleId';
      this.options.logger.error('skipping undecodable vehicle snapshot', { topic: this.options.topic, partition, offset, key, reason });
      return;
    }
    this.snapshots.set(key, decoded.snapshot);
  }
}
