import type { TopicSpec } from '../../schemas/topics.js';

export interface ExistingTopic {
  readonly partitions: number;
  /** Current values of the configs the catalogue manages. */
  readonly configs: Readonly<Record<string, string | undefined>>;
}

export interface ConfigChange {
  readonly name: string;
  readonly from: string | undefined;
  readonly to: string;
}

export type TopicAction =
  | { readonly kind: 'create'; readonly spec: TopicSpec; readonly configs: Readonly<Record<string, string>> }
  | { readonly kind: 'update-configs'; readonly spec: TopicSpec; readonly configs: Readonly<Record<string, string>>; readonly changes: readonly ConfigChange[] }
  | { readonly kind: 'unchanged'; readonly spec: TopicSpec }
  | { readonly kind: 'partition-mismatch'; readonly spec: TopicSpec; readonly actualPartitions: number };

/** min.insync.replicas when none is configured: with RF 3, acks=all must survive one broker down, so 2. */
export function defaultMinInsyncReplicas(replicationFactor: number): number {
  return Math.min(2, replicationFactor);
}

/** The configs a topic should have: the catalogue's plus the replication settings. */
export function desiredConfigs(spec: TopicSpec, replicationFactor: number, minInsyncReplicas = defaultMinInsyncReplicas(replicationFactor)): Record<string, string> {
  return { ...spec.configs, 'min.insync.replicas': String(minInsyncReplicas) };
}

/**
 * Decides what `npm run topics` does to each catalogue topic, given what the broker has.
 * Partition counts are never changed: adding partitions would move vehicles (and
 * subscriptions) to other partitions and break per-key order, so a difference is
 * reported for a human to resolve.
 */
export function planTopicChanges(
  topics: readonly TopicSpec[],
  existing: ReadonlyMap<string, ExistingTopic>,
  replicationFactor: number,
  minInsyncReplicas = defaultMinInsyncReplicas(replicationFactor),
): TopicAction[] {
  return topics.map((spec): TopicAction => {
    const configs = desiredConfigs(spec, replicationFactor, minInsyncReplicas);
    const current = existing.get(spec.name);
    if (current === undefined) return { kind: 'create', spec, configs };
    if (current.partitions !== spec.partitions) {
      return { kind: 'partition-mismatch', spec, actualPartitions: current.partitions };
    }
    const changes = Object.entries(configs)
      .filter(([name, value]) => current.configs[name] !== value)
      .map(([name, to]) => ({ name, from: current.configs[name], to }));
    return changes.length === 0 ? { kind: 'unchanged', spec } : { kind: 'update-configs', spec, configs, changes };
  });
}

/** One paragraph per mismatched topic, naming the topic and both counts. */
export function describeMismatches(actions: readonly TopicAction[]): string[] {
  return actions.flatMap((a) =>
    a.kind === 'partition-mismatch'
      ? [
          `topic ${a.spec.name} has ${a.actualPartitions} partitions on the broker but the catalogue ` +
            `(schemas/topics.ts, group "${a.spec.group}") says ${a.spec.partitions}. Partition counts are not ` +
            'changed automatically because keys would move to other partitions and lose their order; ' +
            'recreate the topic or change the catalogue.',
        ]
      : [],
  );
}
