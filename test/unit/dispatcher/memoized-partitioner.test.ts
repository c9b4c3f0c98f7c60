import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import type { PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { memoizedPartitioner } from '../../../services/shared/kafka/memoized-partitioner.js';

const metadata = (n: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 }));

describe('memoized partitioner', () => {
  it('chooses what the Java-compatible partitioner chooses, for any key and partition count, also when asked again', () => {
    const plain = Partitioners.DefaultPartitioner();
    const memo = memoizedPartitioner(Partitioners.DefaultPartitioner)();
    const keys = ['', 'a', 'ÄÖÜ-vehicle', '🚚-42', ...Array.from({ length: 500 }, () => `sub_${randomBytes(1 + (randomBytes(1)[0] as number) % 20).toString('base64url')}`)];
    for (const n of [1, 6, 7, 12]) {
      for (let round = 0; round < 2; round++) {
        for (const key of keys) {
          const args = { topic: 't', partitionMetadata: metadata(n), message: { key, value: null } };
          expect(memo(args)).toBe(plain(args));
        }
      }
    }
  });

  it('follows a change of partition count, an explicit partition, and keeps round robin for messages without a key', () => {
    const memo = memoizedPartitioner(Partitioners.DefaultPartitioner)();
    const plain = Partitioners.DefaultPartitioner();
    const key = 'sub_x';
    const on = (n: number, message: PartitionerArgs['message']): PartitionerArgs => ({ topic: 't', partitionMetadata: metadata(n), message });
    expect(memo(on(12, { key, value: null }))).toBe(plain(on(12, { key, value: null })));
    expect(memo(on(7, { key, value: null }))).toBe(plain(on(7, { key, value: null })));
    expect(memo(on(7, { key, value: null, partition: 5 }))).toBe(5);
    const unkeyed = new Set(Array.from({ length: 12 }, () => memo(on(12, { value: null }))));
    expect(unkeyed.size).toBe(12);
  });

  it('starts over past its bound and still answers the same', () => {
    const plain = Partitioners.DefaultPartitioner();
    const memo = memoizedPartitioner(Partitioners.DefaultPartitioner, 3)();
    for (let i = 0; i < 20; i++) {
      const args = { topic: i % 2 === 0 ? 'a' : 'b', partitionMetadata: metadata(6), message: { key: `k${i % 7}`, value: null } };
      expect(memo(args)).toBe(plain(args));
    }
  });
});
