/**
 * Consumer lag from offsets (pure): for each partition, the high watermark minus the
 * group's committed offset, i.e. the records the group has not yet finished.
 */

export interface PartitionWatermarks {
  readonly partition: number;
  /** Next offset to be written. */
  readonly high: bigint;
  /** Earliest offset still retained. */
  readonly low: bigint;
}

export interface LagRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

export interface GroupTopicOffsets {
  readonly group: string;
  readonly topic: string;
  /**
   * Where the group starts on a partition it has never committed: `earliest` (it reads
   * everything retained, so all of it is lag) or `latest` (nothing is owed until it commits).
   */
  readonly startsAt: 'earliest' | 'latest';
  readonly watermarks: readonly PartitionWatermarks[];
  /** Committed offsets by partition; absent or negative = nothing committed. */
  readonly committed: ReadonlyMap<number, bigint>;
}

/**
 * One row per partition with a defined lag. A committed offset below the low watermark
 * (retention deleted records the group never read) counts from the low watermark: those
 * records are gone, not owed. Never negative.
 */
export function consumerLag(input: GroupTopicOffsets): LagRow[] {
  const rows: LagRow[] = [];
  for (const w of input.watermarks) {
    const committed = input.committed.get(w.partition);
    let from: bigint;
    if (committed === undefined || committed < 0n) {
      if (input.startsAt === 'latest') continue;
      from = w.low;
    } else {
      from = committed < w.low ? w.low : committed;
    }
    const lag = w.high > from ? w.high - from : 0n;
    rows.push({ group: input.group, topic: input.topic, partition: w.partition, lag: Number(lag) });
  }
  return rows;
}
