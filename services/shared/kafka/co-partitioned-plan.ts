export const coPartitionedAssignerName = 'FleethookCoPartitioned';

/**
 * The co-partitioned assignment for the webhook topics (deliveries, retry tiers, parked):
 * partition N of all of them goes to one instance, so whoever owns a subscription's
 * deliveries also owns its retries and backlog. Pure: partition number N -> member, the
 * same for every topic. Members are sorted by id so every leader computes the same plan;
 * partition N goes to member N mod count. The adapter turns it into the client's assigner
 * (`ConsumerSettings.assignment: 'co-partitioned'`).
 */
export function planCoPartitioned(memberIds: readonly string[], partitionsByTopic: Readonly<Record<string, readonly number[]>>): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const plan = new Map<string, Record<string, number[]>>(members.map((m) => [m, {}]));
  if (members.length === 0) return plan;
  for (const [topic, partitions] of Object.entries(partitionsByTopic)) {
    for (const partition of [...partitions].sort((a, b) => a - b)) {
      const member = members[partition % members.length] as string;
      const assignment = plan.get(member) as Record<string, number[]>;
      (assignment[topic] ??= []).push(partition);
    }
  }
  return plan;
}
