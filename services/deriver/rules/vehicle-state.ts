import type { LandmarkHit } from './derive-params.js';
import type { SourcePosition } from './derived-event-id.js';
import type { SpeedEpisode } from './speed-episode.js';

/** A place and moment of a vehicle, as the rules remember it. */
export interface Fix {
  readonly time: number;
  readonly lat: number;
  readonly lon: number;
  readonly odometerKm: number;
}

export interface LastPoint extends Fix {
  readonly speedKmh: number;
  readonly ignition: boolean;
}

export interface TripState {
  readonly start: Fix;
  readonly maxSpeedKmh: number;
  /** Whether the vehicle has moved since the trip began; a trip that never moved is not reported. */
  readonly moved: boolean;
  /** Where a trip that moved came to a standstill, while it stands still. */
  readonly stoppedAt: Fix | null;
}

/**
 * Everything the rules keep about one vehicle between two of its points. Plain JSON: it
 * is the value of the vehicle's record on the deriver's changelog topic. `position` is
 * the last point applied, so a point read again after a restart is recognised and skipped.
 */
export interface VehicleState {
  readonly version: 1;
  readonly vehicleId: string;
  readonly accountId: string;
  readonly position: SourcePosition;
  readonly last: LastPoint;
  readonly idleSince: Fix | null;
  readonly trip: TripState | null;
  /** Open episodes by rule key (`60mph`). */
  readonly speeding: Readonly<Record<string, SpeedEpisode>>;
  readonly postedSpeeding: Readonly<Record<string, SpeedEpisode>>;
  /** The landmarks the vehicle is inside, sorted by id. */
  readonly landmarks: readonly LandmarkHit[];
  /** The UTC day (days since the epoch) of the last heartbeat. */
  readonly heartbeatDay: number;
}

export const dayMs = 86_400_000;

export function utcDay(timeMs: number): number {
  return Math.floor(timeMs / dayMs);
}
