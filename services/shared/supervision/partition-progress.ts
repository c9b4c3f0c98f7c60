/** One assigned partition as seen from outside the consumer: its group's committed offset and its high watermark. */
export interface PartitionSample {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next record to read); -1 when the group has none yet. */
  readonly committed: number;
  readonly high: number;
}

export interface StalledPartition {
  readonly topic: string;
  readonly partition: number;
  /** Records waiting (high watermark − committed offset, or − the watermark first seen when nothing is committed). */
  readonly lag: number;
  /** How long it has had records to read without committing past any of them. */
  readonly stalledForMs: number;
}

interface Track {
  committed: number;
  /** Where reading counts from while nothing is committed: the high watermark when first seen. */
  base: number;
  /** The last time the partition committed further or had nothing to read. */
  sinceMs: number;
}

/**
 * Decides which partitions are stalled (pure): a partition is stalled when it has had
 * records to read (lag > 0) and its committed offset has not moved for longer than
 * `stallAfterMs`. An idle partition (lag 0) is never stalled, however long it waits.
 * Judging by the group's committed offsets makes the rule the same for every consumer,
 * whatever it does inside its handler (a crashed consumer, a handler stuck on one record
 * and a paused partition all look alike: lag, and no commit).
 */
export class PartitionProgress {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly stallAfterMs: number) {}

  /** `samples` are the partitions assigned now; partitions no longer assigned are forgotten. */
  observe(nowMs: number, samples: readonly PartitionSample[]): StalledPartition[] {
    const seen = new Set<string>();
    const stalled: StalledPartition[] = [];
    for (const s of samples) {
      const key = `${s.topic}\u0000${s.partition}`;
      seen.add(key);
      let track = this.tracks.get(key);
      if (track === undefined || track.committed !== s.committed) {
        // First sight, or progress (a rewind after a reset counts too: the consumer is moving).
        track = { committed: s.committed, base: s.committed >= 0 ? s.committed : (track?.base ?? s.high), sinceMs: nowMs };
        this.tracks.set(key, track);
      }
      const lag = Math.max(0, s.high - (s.committed >= 0 ? s.committed : track.base));
      if (lag === 0) track.sinceMs = nowMs;
      const stalledForMs = nowMs - track.sinceMs;
      if (lag > 0 && stalledForMs > this.stallAfterMs) stalled.push({ topic: s.topic, partition: s.partition, lag, stalledForMs });
    }
    for (const key of this.tracks.keys()) if (!seen.has(key)) this.tracks.delete(key);
    return stalled;
  }

  /** Forget everything (a new incarnation of the consumer, or a new assignment). */
  reset(): void {
    this.tracks.clear();
  }
}
