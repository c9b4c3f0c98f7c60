import { describe, expect, it } from 'vitest';
import { ReplayBook } from '../../../services/dispatcher/replay/replay-book.js';
import { decodeReplayRecord, encodeReplayRecord } from '../../../services/shared/replay/replay-records.js';
import type { ReplayRecord } from '../../../services/shared/replay/replay-records.js';

const id = 'rpl_0123456789abcdef01234567';
const request: ReplayRecord = { type: 'request', replayId: id, subscriptionId: 'sub_1', accountId: 'acc_a', fromMs: 1, toMs: 2, requestedAt: '2026-01-01T00:00:00.000Z' };
const progress: ReplayRecord = { type: 'progress', replayId: id, ranges: [{ partition: 0, next: '5', end: '9' }], chunk: { partition: 0, start: '5', end: '9', requestsDone: 2 }, sent: 3, items: 6 };

describe('replay records', () => {
  it('round-trip, and anything malformed decodes to null', () => {
    for (const r of [request, progress, { type: 'cancel', replayId: id } as const, { type: 'failed', replayId: id, sent: 1, items: 2, reason: 'HTTP 500' } as const]) {
      expect(decodeReplayRecord(Buffer.from(encodeReplayRecord(r)))).toEqual(r);
    }
    expect(decodeReplayRecord(null)).toBeNull();
    expect(decodeReplayRecord(Buffer.from('{'))).toBeNull();
    expect(decodeReplayRecord(Buffer.from(JSON.stringify({ ...request, replayId: 'x' })))).toBeNull();
    expect(decodeReplayRecord(Buffer.from(JSON.stringify({ ...progress, ranges: [{ partition: 0, next: '-1', end: '9' }] })))).toBeNull();
    expect(decodeReplayRecord(Buffer.from(JSON.stringify({ ...request, type: 'other' })))).toBeNull();
  });
});

describe('ReplayBook', () => {
  it('folds a replay\'s records: progress, cancel, end; a record without its request is passed over', () => {
    const book = new ReplayBook();
    expect(book.apply(progress)).toBeNull();
    book.apply(request);
    expect(book.open()).toHaveLength(1);
    expect(book.apply(progress)).toMatchObject({ sent: 3, items: 6, chunk: { requestsDone: 2 }, ranges: [{ next: '5' }] });
    expect(book.apply({ type: 'cancel', replayId: id })).toMatchObject({ cancelRequested: true, ended: null });
    expect(book.apply({ type: 'cancelled', replayId: id, sent: 3, items: 6, reason: null })).toMatchObject({ ended: 'cancelled' });
    expect(book.open()).toEqual([]);
    // A second request record of the same replay changes nothing.
    expect(book.apply(request)).toMatchObject({ ended: 'cancelled' });
  });
});
