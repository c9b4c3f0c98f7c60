import { createHash } from 'node:crypto';

/** Where a GPS point was read: its partition and offset on telemetry.gps. */
export interface SourcePosition {
  readonly partition: number;
  readonly offset: string;
}

/**
 * The id of a derived event: a hash of the vehicle, the source point's position and the
 * rule that fired (`trip_complete`, `speeding:60mph`, `landmark_enter:lm_depot`). The
 * same point re-processed after a crash or a replay yields the same ids, so a repeat is
 * a duplicate a receiver can drop, never a new event.
 */
export function derivedEventId(vehicleId: string, at: SourcePosition, rule: string): string {
  const digest = createHash('sha256').update(`${vehicleId}\u0000${at.partition}\u0000${at.offset}\u0000${rule}`).digest('base64url');
  return `evt_${digest.slice(0, 26)}`;
}
