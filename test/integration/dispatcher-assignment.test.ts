import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { coPartitionedAssigner as CoPartitionedAssigner } from '../../services/shared/kafka/kafkajs-adapter.js';
import { DispatcherHarness } from '../helpers/dispatcher-harness.js';
import { waitFor } from '../helpers/wait-for.js';

describe('co-partitioned assignment (real broker)', () => {
  let h: DispatcherHarness;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create();
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await h.close();
  });

  it('gives partition N of the deliveries, retry and parked topics to the same instance', async () => {
    const topics = ['webhook.deliveries', 'webhook.retry.5m', 'webhook.parked'].map((id) => h.topics.get(id).name);
    const assignments = new Map<number, Record<string, number[]>>();
    const groupId = `${h.prefix}assign`;
    for (let i = 0; i < 3; i++) {
      const c = h.kafka.consumer({ groupId, partitionAssigners: [CoPartitionedAssigner], sessionTimeout: 8_000, heartbeatInterval: 500 });
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(i, e.payload.memberAssignment));
      await c.connect();
      await c.subscribe({ topics });
      await c.run({ eachMessage: async () => undefined });
      consumers.push(c);
    }
    const settled = (): boolean => {
      if (assignments.size < 3) return false;
      const owned = [...assignments.values()].flatMap((a) => a[topics[0] as string] ?? []);
      return owned.length === 4 && new Set(owned).size === 4;
    };
    await waitFor(settled, { timeoutMs: 60_000, intervalMs: 200, what: 'a settled 3-member assignment' });
    for (const assignment of assignments.values()) {
      const [first, ...rest] = topics.map((t) => [...(assignment[t] ?? [])].sort());
      for (const other of rest) expect(other).toEqual(first);
    }
  }, 90_000);
});
