import { describe, expect, it } from 'vitest';
import { splitIntoRequests } from '../../../services/producer/split-into-requests.js';

const msg = (key: string, bytes: number) => ({ key, value: Buffer.alloc(bytes) });
const shape = (requests: ReturnType<typeof splitIntoRequests>) =>
  requests.map((r) => r.map((t) => `${t.topic}:${t.messages.map((m) => m.key).join('')}`));

describe('splitting a publish into produce requests', () => {
  it('keeps a small publish in one request across topics', () => {
    expect(shape(splitIntoRequests([{ topic: 'a', messages: [msg('1', 10), msg('2', 10)] }, { topic: 'b', messages: [msg('3', 10)] }], 100)))
      .toEqual([['a:12', 'b:3']]);
  });

  it('bounds every request by value bytes, in order, without empty requests', () => {
    const requests = splitIntoRequests(
      [{ topic: 'a', messages: [msg('1', 40), msg('2', 40), msg('3', 40)] }, { topic: 'b', messages: [msg('4', 40), msg('5', 40)] }],
      100,
    );
    expect(shape(requests)).toEqual([['a:12'], ['a:3', 'b:4'], ['b:5']]);
  });

  it('sends a single oversized message on its own rather than dropping it', () => {
    expect(shape(splitIntoRequests([{ topic: 'a', messages: [msg('1', 500), msg('2', 5)] }], 100))).toEqual([['a:1'], ['a:2']]);
  });

  it('makes no request for nothing', () => {
    expect(splitIntoRequests([], 100)).toEqual([]);
  });
});
