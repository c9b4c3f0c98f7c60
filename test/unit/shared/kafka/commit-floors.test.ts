import { describe, expect, it } from 'vitest';
import { CommitFloors } from '../../../../services/shared/kafka/commit-floors.js';

describe('CommitFloors', () => {
  it('commits a floor only when it moved up, never back', () => {
    const f = new CommitFloors();
    const first = f.due([{ topic: 't', partition: 0, offset: 10n }, { topic: 't', partition: 1, offset: 0n }]);
    expect(first).toEqual([{ topic: 't', partition: 0, offset: '10' }, { topic: 't', partition: 1, offset: '0' }]);
    f.committed(first);
    expect(f.due([{ topic: 't', partition: 0, offset: 10n }, { topic: 't', partition: 1, offset: 0n }])).toEqual([]);
    expect(f.due([{ topic: 't', partition: 0, offset: 9n }])).toEqual([]);
    expect(f.due([{ topic: 't', partition: 0, offset: 11n }])).toEqual([{ topic: 't', partition: 0, offset: '11' }]);
    expect(f.at('t', 0)).toBe(10n);
    expect(f.at('t', 7)).toBeNull();
  });

  it('keeps what was proposed but not accepted due again (a failed commit is retried)', () => {
    const f = new CommitFloors();
    expect(f.due([{ topic: 't', partition: 0, offset: 5n }])).toHaveLength(1);
    expect(f.due([{ topic: 't', partition: 0, offset: 5n }])).toHaveLength(1);
  });

  it('keeps topics apart and refuses negative floors (nothing read yet)', () => {
    const f = new CommitFloors();
    f.committed([{ topic: 'a', partition: 0, offset: '100' }]);
    expect(f.due([{ topic: 'b', partition: 0, offset: 1n }, { topic: 'a', partition: 0, offset: -1n }])).toEqual([{ topic: 'b', partition: 0, offset: '1' }]);
    // A late acknowledgement of a lower commit does not move the record back.
    f.committed([{ topic: 'a', partition: 0, offset: '50' }]);
    expect(f.at('a', 0)).toBe(100n);
  });

  it('handles offsets beyond 2^53 exactly', () => {
    const f = new CommitFloors();
    const big = 2n ** 60n + 1n;
    f.committed(f.due([{ topic: 't', partition: 0, offset: big }]));
    expect(f.due([{ topic: 't', partition: 0, offset: big + 1n }])).toEqual([{ topic: 't', partition: 0, offset: (big + 1n).toString() }]);
  });
});
