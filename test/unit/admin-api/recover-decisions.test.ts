import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../services/admin-api/api-error.js';
import { auditEpisodes } from '../../../services/admin-api/audit-episodes.js';
import type { AuditRecord } from '../../../services/admin-api/audit-episodes.js';
import { decodeRecoverBody, pickEpisode } from '../../../services/admin-api/recovery-service.js';
import { ValidationError } from '../../../services/shared/errors.js';

const item = (offset: number, episode?: string): AuditRecord => ({
  offset: String(offset), value: Buffer.from(`{"seq":${offset}}`),
  headers: { 'fleethook-audit-reason': 'deactivated', 'fleethook-deliveries-offset': String(100 + offset), ...(episode === undefined ? {} : { 'fleethook-episode': episode }) },
});
const recovered = (offset: number, episode: string): AuditRecord => ({
  offset: String(offset), value: Buffer.from(JSON.stringify({ recoveryId: 'rcv_1', items: 2 })), headers: { 'fleethook-episode': episode, 'fleethook-audit-kind': 'recovery' },
});

describe('auditEpisodes', () => {
  it('groups items by episode; an item without one belongs to the episode before it; items before any episode are one of their own', () => {
    const episodes = auditEpisodes([item(0), item(1, 'pke_a'), item(2, 'pke_a'), item(3), item(4, 'pke_b')]);
    expect(episodes.map((e) => [e.episodeId, e.items.map((i) => i.deliveriesOffset)])).toEqual([['aud_0', ['100']], ['pke_a', ['101', '102', '103']], ['pke_b', ['104']]]);
  });

  it('an item audited twice in one episode (an owner crashed mid-audit) is recovered once; the same item in a later episode is its own', () => {
    const again = (offset: number, of: number, episode: string): AuditRecord => ({ ...item(of, episode), offset: String(offset) });
    const episodes = auditEpisodes([item(1, 'pke_a'), item(2, 'pke_a'), again(3, 1, 'pke_a'), again(4, 2, 'pke_a'), item(5, 'pke_a'), again(6, 1, 'pke_b')]);
    expect(episodes.map((e) => [e.episodeId, e.items.map((i) => i.deliveriesOffset)])).toEqual([['pke_a', ['101', '102', '105']], ['pke_b', ['101']]]);
  });

  it('a recovery record marks its episode recovered; one naming an unknown episode marks nothing', () => {
    const episodes = auditEpisodes([item(1, 'pke_a'), item(2, 'pke_b'), recovered(3, 'pke_a'), recovered(4, 'pke_zz')]);
    expect(episodes.map((e) => [e.episodeId, e.recovery])).toEqual([['pke_a', { recoveryId: 'rcv_1', items: 2 }], ['pke_b', null]]);
    // Later live audits after a recovery record still belong to the last item's episode.
    expect(auditEpisodes([item(1, 'pke_a'), recovered(2, 'pke_a'), item(3)])[0]?.items).toHaveLength(2);
  });
});

describe('pickEpisode', () => {
  const episodes = auditEpisodes([item(1, 'pke_a'), item(2, 'pke_b'), recovered(3, 'pke_b')]);
  const refusal = (f: () => unknown): { code: string; field: string | null } => {
    try {
      f();
    } catch (err) {
      if (err instanceof ApiError) return { code: err.apiCode, field: err.field };
    }
    throw new Error('not refused');
  };

  it('takes the named episode, or the latest', () => {
    expect(pickEpisode(episodes, 'pke_a').episodeId).toBe('pke_a');
    expect(refusal(() => pickEpisode(episodes, null))).toEqual({ code: 'already_recovered', field: 'episodeId' });
  });

  it('refuses an unknown episode (404), nothing audited (409)', () => {
    expect(refusal(() => pickEpisode(episodes, 'pke_zz'))).toEqual({ code: 'not_found', field: 'episodeId' });
    expect(refusal(() => pickEpisode([], null))).toEqual({ code: 'nothing_to_recover', field: 'episodeId' });
  });
});

describe('decodeRecoverBody', () => {
  it.each([
    [undefined, null], [{}, null], [{ episodeId: 'pke_1' }, 'pke_1'],
  ])('%j → %j', (body, expected) => expect(decodeRecoverBody(body)).toBe(expected));

  it.each([
    [{ episodeId: 5 }, 'episodeId'], [{ episodeId: '' }, 'episodeId'], [{ episodeId: 'a b' }, 'episodeId'], [{ episodeId: 'x'.repeat(101) }, 'episodeId'],
    [{ other: 1 }, 'other'], [[1], 'body'], ['text', 'body'],
  ])('refuses %j naming %s', (body, field) => {
    try {
      decodeRecoverBody(body);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.field).toBe(field);
    }
  });
});
