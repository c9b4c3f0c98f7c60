/**
 * TypeScript views of the Avro records in this folder (gps-point.avsc, dtc.avsc,
 * vehicle-event.avsc). Optional fields are `?: T | null` because Avro writes null
 * for both an absent field and an explicit null. `time` is epoch milliseconds UTC.
 */
export const vehicleEventTypes = [
  'ignition_on',
  'ignition_off',
  'heartbeat',
  'trip_complete',
  'idle',
  'speeding',
  'posted_speeding',
  'landmark_enter',
  'landmark_leave',
  'temperature',
  'dvir',
  'driver_assignment',
] as const;
export type VehicleEventType = (typeof vehicleEventTypes)[number];

export const vehicleEventOrigins = ['device', 'derived'] as const;
export type VehicleEventOrigin = (typeof vehicleEventOrigins)[number];

export const dtcSources = ['OBD_II', 'J1939'] as const;
export type DtcSource = (typeof dtcSources)[number];

export const dtcStatuses = ['active', 'pending', 'cleared'] as const;
export type DtcStatus = (typeof dtcStatuses)[number];

export const speedUnits = ['kmh', 'mph'] as const;
export type SpeedUnits = (typeof speedUnits)[number];

export const dvirStatuses = ['satisfactory', 'defects_found', 'defects_corrected'] as const;
export type DvirStatus = (typeof dvirStatuses)[number];

export interface GpsPoint {
  vehicleId: string;
  accountId: string;
  time: number;
  lat: number;
  lon: number;
  speedKmh: number;
  headingDeg: number;
  odometerKm: number;
  ignition: boolean;
  postedSpeedLimitKmh?: number | null;
  driverId?: string | null;
  seq?: number | null;
  /** True for a simulated vehicle's records (the simulator marks its own); absent for real ones. */
  simulated?: boolean | null;
}

export interface Dtc {
  vehicleId: string;
  accountId: string;
  time: number;
  code: string;
  source: DtcSource;
  spn?: number | null;
  fmi?: number | null;
  status: DtcStatus;
  description?: string | null;
  seq?: number | null;
  /** True for a simulated vehicle's records (the simulator marks its own); absent for real ones. */
  simulated?: boolean | null;
}

export interface VehicleEvent {
  vehicleId: string;
  accountId: string;
  time: number;
  type: VehicleEventType;
  origin?: VehicleEventOrigin | null;
  eventId?: string | null;
  seq?: number | null;
  lat?: number | null;
  lon?: number | null;
  driverId?: string | null;
  odometerKm?: number | null;
  speedKmh?: number | null;
  speedLimitKmh?: number | null;
  durationMs?: number | null;
  tripStartTime?: number | null;
  tripDistanceKm?: number | null;
  landmarkId?: string | null;
  landmarkName?: string | null;
  temperatureCelsius?: number | null;
  sensorId?: string | null;
  dvirStatus?: DvirStatus | null;
  dvirDefects?: string[] | null;
  maxSpeedKmh?: number | null;
  tripStartLat?: number | null;
  tripStartLon?: number | null;
  speedThreshold?: number | null;
  speedUnits?: SpeedUnits | null;
  /** True for a simulated vehicle's records (the simulator marks its own); absent for real ones. */
  simulated?: boolean | null;
}
