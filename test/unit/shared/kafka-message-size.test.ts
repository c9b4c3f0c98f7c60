import { describe, expect, it } from 'vitest';
import { chunkBySize, messageBytes } from '../../../services/shared/kafka-message-size.js';

describe('messageBytes and chunkBySize', () => {
  it('counts key, value, header names and values (UTF-8) plus framing', () => {
    const bare = messageBytes({ value: null });
    expect(messageBytes({ key: 'ab', value: Buffer.alloc(10) })).toBe(bare + 12);
    expect(messageBytes({ value: 'é', headers: { h: 'ü', list: ['a', 'b'], gone: undefined } }) - bare).toBeGreaterThan(2 + 1 + 2 + 4 + 2);
  });

  it('splits in order into runs within the budget; an oversized message travels alone', () => {
    const m = (n: number) => ({ value: Buffer.alloc(n) });
    const size = (n: number) => messageBytes(m(n));
    const chunks = chunkBySize([m(100), m(100), m(100), m(1_000), m(10)], size(100) * 2);
    expect(chunks.map((c) => c.map((x) => x.value.length))).toEqual([[100, 100], [100], [1_000], [10]]);
    expect(chunkBySize([], 100)).toEqual([]);
  });
});
