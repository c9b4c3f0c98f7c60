import type { TopicPartitionOffset } from './kafka-port.js';

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The offsets a generation has committed, per partition (pure). An owner proposes, per
 * partition, its floor: the first offset with unfinished work at or below it (nothing
 * past it is committed). `due` keeps only floors above what was committed, so a commit
 * never moves a partition back and an unchanged floor costs no request; `committed`
 * records what the broker accepted. One instance per generation: a new owner starts from
 * whatever the group has committed.
 */
export class CommitFloors {
  private readonly done = new Map<string, bigint>();

  due(proposed: readonly { readonly topic: string; readonly partition: number; readonly offset: bigint }[]): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of proposed) {
      if (p.offset < 0n) continue;
      if (p.offset > (this.done.get(key(p.topic, p.partition)) ?? -1n)) out.push({ topic: p.topic, partition: p.partition, offset: p.offset.toString() });
    }
    return out;
  }

  committed(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const k = key(o.topic, o.partition);
      const at = BigInt(o.offset);
      if (at > (this.done.get(k) ?? -1n)) this.done.set(k, at);
    }
  }

  /** What was committed for the partition in this generation (null: nothing yet). */
  at(topic: string, partition: number): bigint | null {
    return this.done.get(key(topic, partition)) ?? null;
  }
}
