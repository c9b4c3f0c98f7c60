/** What one look at a topic found: usable, or why not yet. */
export type TopicProbe =
  | { readonly kind: 'ready'; readonly topic: string; readonly partitions: number }
  /** The broker does not know the topic. */
  | { readonly kind: 'missing'; readonly topic: string }
  /** Metadata lists partitions without a leader (or none at all, as right after creation). */
  | { readonly kind: 'no-leader'; readonly topic: string; readonly partitions: readonly number[] }
  /** Metadata was fine but a request to the leaders failed (e.g. "not the leader" just after creation). */
  | { readonly kind: 'unreadable'; readonly topic: string; readonly reason: string }
  /** The broker could not be asked at all. */
  | { readonly kind: 'unreachable'; readonly topic: string; readonly reason: string };

/** One line naming the topic and what is wrong with it. */
export function describeTopicProbe(probe: TopicProbe): string {
  switch (probe.kind) {
    case 'ready':
      return `topic ${probe.topic}: ready (${probe.partitions} partitions)`;
    case 'missing':
      return `topic ${probe.topic} does not exist (\`npm run topics\` creates it)`;
    case 'no-leader':
      return probe.partitions.length === 0
        ? `topic ${probe.topic} has no partitions in the broker's metadata yet`
        : `topic ${probe.topic}: partition(s) ${probe.partitions.join(', ')} have no leader`;
    case 'unreadable':
      return `cannot read topic ${probe.topic}: ${probe.reason}`;
    case 'unreachable':
      return `cannot ask the broker about topic ${probe.topic}: ${probe.reason}`;
  }
}
