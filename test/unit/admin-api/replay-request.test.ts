import { describe, expect, it } from 'vitest';
import { decodeReplayRequest } from '../../../services/admin-api/replay-request.js';

const now = Date.parse('2026-06-01T12:00:00Z');
const fieldOf = (body: unknown): string | undefined => {
  try {
    decodeReplayRequest(body, now);
  } catch (err) {
    const e = err as { issues?: { field: string }[]; field?: string };
    return e.issues?.[0]?.field ?? e.field ?? undefined;
  }
  return undefined;
};

describe('decodeReplayRequest', () => {
  it('takes ISO times with a zone; to defaults to now and is never after now', () => {
    expect(decodeReplayRequest({ from: '2026-06-01T11:00:00Z' }, now)).toEqual({ fromMs: Date.parse('2026-06-01T11:00:00Z'), toMs: now });
    expect(decodeReplayRequest({ from: '2026-06-01T11:00:00.5+02:00', to: '2026-06-01T11:30:00z' }, now)).toEqual({ fromMs: Date.parse('2026-06-01T09:00:00.5Z'), toMs: Date.parse('2026-06-01T11:30:00Z') });
    expect(decodeReplayRequest({ from: '2026-06-01T11:00:00Z', to: '2027-01-01T00:00:00Z' }, now).toMs).toBe(now);
  });

  it('names the field of bad input', () => {
    expect(fieldOf([])).toBe('body');
    expect(fieldOf(null)).toBe('body');
    expect(fieldOf({})).toBe('from');
    expect(fieldOf({ from: 'yesterday' })).toBe('from');
    expect(fieldOf({ from: '2026-06-01' })).toBe('from');
    expect(fieldOf({ from: '2026-06-01T11:00:00' })).toBe('from');
    expect(fieldOf({ from: '2026-06-01T11:00:00Z', to: 17 })).toBe('to');
    expect(fieldOf({ from: '2026-06-01T11:00:00Z', extra: 1 })).toBe('extra');
  });

  it('refuses from after to with 422 invalid_range naming from', () => {
    expect(() => decodeReplayRequest({ from: '2026-06-01T11:00:00Z', to: '2026-06-01T10:00:00Z' }, now)).toThrow(expect.objectContaining({ apiCode: 'invalid_range', field: 'from', status: 422 }));
    expect(() => decodeReplayRequest({ from: '2026-06-01T13:00:00Z' }, now)).toThrow(expect.objectContaining({ apiCode: 'invalid_range' }));
  });
});
