import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';

// kafkajs is CommonJS; Node's named-export detection misses AssignerProtocol.
const { AssignerProtocol } = kafkajs;

export const coPartitionedAssignerName = 'FleethookCoPartitioned';

/**
 * Partition number N -> member, the same for every topic (pure). Members are sorted by
 * id so every leader computes the same plan; partition N goes to member N mod count.
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

/**
 * A kafkajs partition assigner for the co-partitioned webhook topics (deliveries, retry
 * tiers, parked): partition N of all of them goes to one instance, so whoever owns a
 * subscription's deliveries also owns its retries and backlog.
 */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: coPartitionedAssignerName,
  version: 0,
  async assign({ members, topics }) {
    const partitionsByTopic: Record<string, number[]> = {};
    for (const topic of topics) partitionsByTopic[topic] = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
    const plan = planCoPartitioned(members.map((m) => m.memberId), partitionsByTopic);
    return [...plan].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return {
      name: coPartitionedAssignerName,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
