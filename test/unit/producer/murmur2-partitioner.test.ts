import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { reliableProducerConfig } from '../../../services/shared/kafka/kafkajs-adapter.js';

// Expected partitions were produced by the Java client's BuiltInPartitioner.partitionForKey
// (kafka-clients 4.4.0) through test/helpers/java-partition.ts; the integration test
// re-checks against Java live and against where records actually land.
const keys = ['veh_0001', 'veh_0002', 'veh_0003', 'veh_0042', 'veh_1000', 'truck-7', 'a', '', 'ÄÖÜ-vehicle', '🚚-42', 'veh_7f3a9c', 'acc_1/veh_9'];
const javaChoice: Record<number, number[]> = {
  12: [4, 4, 10, 2, 7, 3, 4, 9, 6, 1, 4, 1],
  7: [4, 2, 0, 6, 6, 6, 5, 2, 1, 6, 2, 2],
};

function partitionFor(key: string, numPartitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: numPartitions }, (_, i) => ({
    partitionId: i, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0,
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('keyed partitioning', () => {
  it('pins the Java-compatible murmur2 partitioner explicitly', () => {
    expect(reliableProducerConfig.createPartitioner).toBe(Partitioners.DefaultPartitioner);
  });

  for (const [count, expected] of Object.entries(javaChoice)) {
    it(`chooses the partition the Java client chooses, ${count} partitions`, () => {
      expect(keys.map((k) => partitionFor(k, Number(count)))).toEqual(expected);
    });
  }
});
