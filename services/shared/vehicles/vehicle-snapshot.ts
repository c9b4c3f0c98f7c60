import type { DtcSource } from '../../../schemas/telemetry-records.js';

/** `simulated`: the vehicle's latest record was marked simulated (the simulator marks its own); `live` otherwise. */
export const vehicleModes = ['live', 'simulated'] as const;
export type VehicleMode = (typeof vehicleModes)[number];

/** The vehicle's latest GPS fix (by device time). */
export interface SnapshotGps {
  readonly time: number;
  readonly lat: number;
  readonly lon: number;
  readonly speedKmh: number;
  readonly headingDeg: number;
  readonly odometerKm: number;
  readonly ignition: boolean;
}

/** A trouble code reported `active` and not cleared since. */
export interface ActiveDtc {
  readonly code: string;
  readonly source: DtcSource;
  /** When it was last reported active. */
  readonly time: number;
  readonly spn: number | null;
  readonly fmi: number | null;
  readonly description: string | null;
}

/** The last telemetry offset applied from each input topic (all in partition `partition`: they are co-partitioned by vehicle). */
export interface AppliedOffsets {
  readonly partition: number;
  readonly gps: string | null;
  readonly dtc: string | null;
  readonly events: string | null;
}

/**
 * The latest state of one vehicle: the value of its record on the compacted topic
 * `vehicle.state` (key = vehicleId, JSON). Written by the deriver's state stage, read by
 * the admin API (`GET /v1/vehicles/:vehicleId/state`) and meant for the scheduler.
 * Times are epoch milliseconds UTC.
 */
export interface VehicleSnapshot {
  readonly version: 1;
  readonly vehicleId: string;
  readonly accountId: string;
  readonly mode: VehicleMode;
  /** The newest record time applied, of any kind. */
  readonly time: number;
  readonly gps: SnapshotGps | null;
  /** Sorted by code; at most `maxActiveDtcs`. */
  readonly activeDtcs: readonly ActiveDtc[];
  /** The newest time of each event type seen (`ignition_on` → ms). */
  readonly lastEventTimes: Readonly<Record<string, number>>;
  readonly applied: AppliedOffsets;
}

/** Bounds a snapshot's size: a device that never clears its codes keeps the newest ones. */
export const maxActiveDtcs = 64;
