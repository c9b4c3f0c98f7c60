import { describe, expect, it } from 'vitest';
import { readChallengeAnswer } from '../../../services/admin-api/challenge-answer.js';

const hex = '0123456789abcdef'.repeat(4);

describe('challenge answer', () => {
  it.each([
    ['bare hex', hex, 'hex'],
    ['bare hex, upper case, padded', `\n  ${hex.toUpperCase()}\r\n`, 'hex'],
    ['our JSON form', JSON.stringify({ challengeResponse: hex }), 'challengeResponse'],
    ["Smartcar's JSON form", JSON.stringify({ challenge: hex.toUpperCase() }), 'challenge'],
    ['JSON form with other keys', JSON.stringify({ ok: true, challenge: hex }), 'challenge'],
  ])('accepts %s', (_name, body, form) => {
    expect(readChallengeAnswer(body)).toEqual({ kind: 'answer', hex, form });
  });

  it.each([
    ['an empty body', '   ', 'the response body is empty'],
    ['a cut-off body', hex, 'longer than the 4 KiB read', true],
    ['63 hex characters', hex.slice(1), 'holds 63 hex characters, not 64'],
    ['65 hex characters', `${hex}a`, 'holds 65 hex characters, not 64'],
    ['hex with junk after it', `${hex} ok`, 'neither 64 hex characters nor JSON'],
    ['a non-hex letter', `${hex.slice(1)}g`, 'neither 64 hex characters nor JSON'],
    ['JSON with trailing junk', `${JSON.stringify({ challenge: hex })}x`, 'neither 64 hex characters nor JSON'],
    ['a JSON string', JSON.stringify(hex), 'the JSON body is a string, not an object'],
    ['a JSON array', JSON.stringify([hex]), 'an array, not an object'],
    ['JSON null', 'null', 'null, not an object'],
    ['no answer key', JSON.stringify({ answer: hex }), 'neither "challengeResponse" nor "challenge"'],
    ['both keys', JSON.stringify({ challenge: hex, challengeResponse: hex }), 'both "challengeResponse" and "challenge"'],
    ['a number', JSON.stringify({ challengeResponse: 5 }), '"challengeResponse" is a number, not a string'],
    ['an array value', JSON.stringify({ challenge: [hex] }), '"challenge" is an array, not a string'],
    ['a null value', JSON.stringify({ challenge: null }), '"challenge" is null, not a string'],
    ['a short hex value', JSON.stringify({ challenge: hex.slice(2) }), '"challenge" is not 64 hex characters'],
    ['a padded hex value', JSON.stringify({ challenge: ` ${hex}` }), '"challenge" is not 64 hex characters'],
    ['an inherited key', '{"__proto__": {"challenge": "x"}}', 'neither "challengeResponse" nor "challenge"'],
  ])('refuses %s and says why', (_name, body, why, truncated = false) => {
    const r = readChallengeAnswer(body, truncated);
    expect(r.kind).toBe('malformed');
    expect(r.kind === 'malformed' ? r.message : '').toContain(why);
    expect(r.kind === 'malformed' ? r.message : '').toContain('HMAC-SHA256(challenge, secret)');
  });
});
