/** What a keyed partitioner is given for one message (kafkajs' `PartitionerArgs`, structurally). */
export interface KeyedPartitionerArgs {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly message: { readonly key?: Buffer | string | null; readonly partition?: number };
}

export type KeyedPartitioner<A extends KeyedPartitionerArgs> = (args: A) => number;

/** Distinct keys remembered per topic before the memo starts over (keys are subscription ids: a catalogue's worth). */
const defaultMaxKeys = 100_000;

/**
 * The same choice as `inner`, remembered per topic, partition count and string key. The
 * Java-compatible murmur2 of kafkajs runs on emulated 64-bit longs and a fresh Buffer per
 * key, which cost ~6 % of the dispatcher's CPU for the match stage's writes; a
 * subscription id always lands on the same partition, so it is computed once. A message
 * with an explicit partition, or without a string key, goes to `inner` every time (no key:
 * round robin, which must not be remembered). The memo is bounded: past `maxKeys` keys of
 * one topic it is cleared.
 */
export function memoizedPartitioner<A extends KeyedPartitionerArgs>(createInner: () => KeyedPartitioner<A>, maxKeys = defaultMaxKeys): () => KeyedPartitioner<A> {
  return () => {
    const inner = createInner();
    const byTopic = new Map<string, { count: number; readonly partitions: Map<string, number> }>();
    return (args) => {
      const { key, partition } = args.message;
      if (typeof key !== 'string' || (partition !== undefined && partition !== null)) return inner(args);
      const count = args.partitionMetadata.length;
      let memo = byTopic.get(args.topic);
      if (memo === undefined) byTopic.set(args.topic, (memo = { count, partitions: new Map() }));
      if (memo.count !== count || memo.partitions.size >= maxKeys) {
        memo.count = count;
        memo.partitions.clear();
      }
      let chosen = memo.partitions.get(key);
      if (chosen === undefined) memo.partitions.set(key, (chosen = inner(args)));
      return chosen;
    };
  };
}
