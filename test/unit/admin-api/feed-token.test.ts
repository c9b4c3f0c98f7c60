import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FeedTokens } from '../../../services/admin-api/feed-token.js';

const now = new Date('2026-12-01T10:00:00.000Z');
const later = (ms: number): Date => new Date(now.getTime() + ms);

describe('feed tokens', () => {
  const key = randomBytes(32);
  const tokens = new FeedTokens(key, 60_000);

  it('open the feed of the subscription they name, for the caller they name, until they expire', () => {
    const { token, expiresAt } = tokens.issue({ kind: 'account', accountId: 'acc_alpha' }, 'sub_1', now);
    expect(expiresAt).toBe('2026-12-01T10:01:00.000Z');
    expect(tokens.check(token, 'sub_1', later(59_999))).toEqual({ kind: 'valid', principal: { kind: 'account', accountId: 'acc_alpha' } });
    expect(tokens.check(token, 'sub_1', later(60_000))).toEqual({ kind: 'invalid' });
    expect(tokens.check(token, 'sub_2', now)).toEqual({ kind: 'invalid' });
    const op = tokens.issue({ kind: 'operator' }, 'sub_1', now).token;
    expect(tokens.check(op, 'sub_1', now)).toEqual({ kind: 'valid', principal: { kind: 'operator' } });
  });

  it('are accepted by another instance with the same key, and by no other', () => {
    const { token } = tokens.issue({ kind: 'account', accountId: 'acc_alpha' }, 'sub_1', now);
    expect(new FeedTokens(Buffer.from(key), 60_000).check(token, 'sub_1', now).kind).toBe('valid');
    expect(new FeedTokens(randomBytes(32), 60_000).check(token, 'sub_1', now).kind).toBe('invalid');
  });

  it('refuse anything forged, altered or malformed', () => {
    const { token } = tokens.issue({ kind: 'account', accountId: 'acc_alpha' }, 'sub_1', now);
    const [payload, mac] = token.split('.') as [string, string];
    const forgedPayload = Buffer.from(JSON.stringify(['sub_1', '*', now.getTime() + 60_000])).toString('base64url');
    const bad = [
      '', '.', token + '.x', `${forgedPayload}.${mac}`, `${payload}.${mac.slice(0, -1)}`, `${payload}.`, `.${mac}`, `${payload}`,
      `${payload}!.${mac}`, 'a'.repeat(10_000), `${Buffer.from('not json').toString('base64url')}.${mac}`,
    ];
    for (const t of bad) expect(tokens.check(t, 'sub_1', now), t.slice(0, 40)).toEqual({ kind: 'invalid' });
  });
});
