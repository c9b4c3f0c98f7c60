import { describe, expect, it } from 'vitest';
import { consumerLag } from '../../../services/shared/metrics/consumer-lag.js';
import type { GroupTopicOffsets } from '../../../services/shared/metrics/consumer-lag.js';

const base = (over: Partial<GroupTopicOffsets>): GroupTopicOffsets => ({
  group: 'g', topic: 't', startsAt: 'earliest', committed: new Map(), watermarks: [], ...over,
});

describe('consumerLag', () => {
  it.each([
    ['committed behind the high watermark', 'earliest', 40n, { low: 0n, high: 100n }, 60],
    ['caught up', 'earliest', 100n, { low: 0n, high: 100n }, 0],
    ['committed below the low watermark (retention deleted unread records): counted from low', 'earliest', 5n, { low: 50n, high: 80n }, 30],
    ['nothing committed, reads from the beginning: everything retained', 'earliest', -1n, { low: 10n, high: 25n }, 15],
    ['nothing committed on an empty partition', 'earliest', undefined, { low: 0n, high: 0n }, 0],
    ['committed past the high watermark (truncated log): never negative', 'earliest', 120n, { low: 0n, high: 100n }, 0],
    ['committed, group that starts at latest', 'latest', 90n, { low: 0n, high: 100n }, 10],
  ] as const)('%s', (_what, startsAt, committed, w, lag) => {
    const rows = consumerLag(base({
      startsAt, committed: committed === undefined ? new Map() : new Map([[3, committed]]), watermarks: [{ partition: 3, ...w }],
    }));
    expect(rows).toEqual([{ group: 'g', topic: 't', partition: 3, lag }]);
  });

  it('leaves out partitions a latest-starting group has never committed (no lag is owed yet)', () => {
    const rows = consumerLag(base({
      startsAt: 'latest', committed: new Map([[0, 7n], [1, -1n]]),
      watermarks: [{ partition: 0, low: 0n, high: 9n }, { partition: 1, low: 0n, high: 50n }, { partition: 2, low: 0n, high: 5n }],
    }));
    expect(rows.map((r) => [r.partition, r.lag])).toEqual([[0, 2]]);
  });

  it('reports every partition of the topic, not only committed ones', () => {
    const rows = consumerLag(base({ committed: new Map([[1, 4n]]), watermarks: [0, 1, 2].map((p) => ({ partition: p, low: 0n, high: 10n })) }));
    expect(rows.map((r) => r.lag)).toEqual([10, 6, 10]);
  });
});
