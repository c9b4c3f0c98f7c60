import { describe, expect, it } from 'vitest';
import { checkDue, dueAtHeader, dueAtHeaders, readDueAt } from '../../../services/dispatcher/retry/retry-due-header.js';

describe('retry due-time header', () => {
  it('round-trips epoch milliseconds, rounding a fractional due time up (never early)', () => {
    expect(readDueAt(dueAtHeaders(1_764_000_000_123))).toEqual({ kind: 'due-at', dueAtMs: 1_764_000_000_123 });
    expect(readDueAt(dueAtHeaders(1_764_000_000_123.2))).toEqual({ kind: 'due-at', dueAtMs: 1_764_000_000_124 });
  });

  it.each([
    ['missing', {}, /missing/],
    ['no headers at all', undefined, /missing/],
    ['not a number', { [dueAtHeader]: Buffer.from('soon') }, /not epoch milliseconds/],
    ['negative', { [dueAtHeader]: '-5' }, /not epoch milliseconds/],
    ['fractional text', { [dueAtHeader]: '12.5' }, /not epoch milliseconds/],
  ] as const)('is invalid when %s', (_, headers, reason) => {
    const read = readDueAt(headers);
    expect(read.kind).toBe('invalid');
    if (read.kind === 'invalid') expect(read.reason).toMatch(reason);
  });

  it('reads a Buffer value and the last of repeated values', () => {
    expect(readDueAt({ [dueAtHeader]: Buffer.from('42') })).toEqual({ kind: 'due-at', dueAtMs: 42 });
    expect(readDueAt({ [dueAtHeader]: ['1', '2'] })).toEqual({ kind: 'due-at', dueAtMs: 2 });
  });

  it.each([
    [1_000, 999, { kind: 'wait', waitMs: 1 }],
    [1_000, 1_000, { kind: 'due' }],
    [1_000, 1_001, { kind: 'due' }],
    [1_000, 0, { kind: 'wait', waitMs: 1_000 }],
  ] as const)('due at %i, now %i', (dueAtMs, nowMs, expected) => {
    expect(checkDue(dueAtMs, nowMs)).toEqual(expected);
  });
});
