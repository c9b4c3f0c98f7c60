import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '../../../services/shared/errors.js';
import { FieldReader } from '../../../services/shared/field-reader.js';
import { decodeSubscriptionCreate } from '../../../services/shared/subscriptions/decode-subscription-spec.js';
import { limits } from '../../../services/shared/subscriptions/subscription-types.js';

function read(value: unknown, use: (r: FieldReader) => unknown, redact: readonly string[] = []): { value: unknown; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const r = FieldReader.of(value, 'rec', issues, { redact });
  return { value: r === null ? undefined : use(r), issues };
}

describe('FieldReader', () => {
  it('returns typed values and no issues for a valid object', () => {
    const { value, issues } = read({ n: 3, s: 'ab', b: false, k: 'x', l: ['a'] }, (r) => [
      r.number('n', { integer: true, min: 0, max: 5 }), r.string('s', { max: 2 }), r.bool('b'), r.oneOf('k', ['x', 'y'] as const),
      r.stringList('l', { maxItems: 1 }), r.string('absent', { max: 1, required: false }),
    ]);
    expect(value).toEqual([3, 'ab', false, 'x', ['a'], undefined]);
    expect(issues).toEqual([]);
  });

  it.each([
    ['missing required', {}, (r: FieldReader) => r.string('s', { max: 5 }), 'rec.s: is required, got nothing'],
    ['null required', { b: null }, (r: FieldReader) => r.bool('b'), 'rec.b: is required, got null'],
    ['long string', { s: 'x'.repeat(50) }, (r: FieldReader) => r.string('s', { max: 5 }), `rec.s: must have at most 5 characters, got "${'x'.repeat(40)}…" (50 characters)`],
    ['NaN', { n: Number.NaN }, (r: FieldReader) => r.number('n', { hint: 'km' }), 'rec.n: must be a finite number (km), got NaN'],
    ['fraction for an integer', { n: 1.5 }, (r: FieldReader) => r.number('n', { integer: true }), 'rec.n: must be an integer, got 1.5'],
    ['out of range', { n: 360 }, (r: FieldReader) => r.number('n', { min: 0, below: 360 }), 'rec.n: must be >= 0 and < 360, got 360'],
    ['not one of', { k: 'z' }, (r: FieldReader) => r.oneOf('k', ['x', 'y']), 'rec.k: must be one of x, y, got "z"'],
    ['bad list item', { l: ['ok', 'no'] }, (r: FieldReader) => r.stringList('l', { maxItems: 5, items: { maxLength: 5, pattern: /^ok$/, hint: 'must be ok' } }), 'rec.l[1]: must be ok, got "no"'],
    ['repeated item', { l: ['a', 'a'] }, (r: FieldReader) => r.stringList('l', { maxItems: 5, unique: true }), 'rec.l[1]: repeats an earlier item, got "a"'],
    ['not an object', [], () => undefined, 'rec: must be an object, got an empty array'],
  ])('reports %s with the path and the value', (_name, value, use, expected) => {
    expect(read(value, use).issues.map((i) => `${i.field}: ${i.message}`)).toEqual([expected]);
  });

  it('shows only the kind of a redacted value, never its content', () => {
    const secret = 'hunter2\r\nX-Evil: 1';
    const { issues } = read({ pw: secret, n: 5, url: 'https://u:p@host/' }, (r) => [
      r.string('pw', { max: 100, pattern: /^[^\r\n]+$/, patternHint: 'must not contain line breaks' }), r.string('n', { max: 5 }),
      r.fail('url', 'must not contain credentials'),
    ], ['pw', 'n', 'url']);
    expect(issues).toEqual([
      { field: 'rec.pw', message: 'must not contain line breaks' },
      { field: 'rec.n', message: 'must be a string, got a number' },
      { field: 'rec.url', message: 'must not contain credentials' },
    ]);
  });

  it('reports unread fields as unknown without their values', () => {
    const { issues } = read({ known: 1, pasword: 'hunter2' }, (r) => {
      r.raw('known');
      r.rejectUnknown();
    });
    expect(issues).toEqual([{ field: 'rec.pasword', message: 'unknown field' }]);
  });
});

describe('subscription decoding never echoes a secret', () => {
  const base = { url: 'https://hooks.example.com/in', name: 'n', source: { kind: 'gps' } };
  const secret = 'S3cr3t-token\nvalue';
  it.each([
    ['a token with a line break', { type: 'bearer', tokenValue: secret }],
    ['a fixed Authorization beside bearer auth', { type: 'bearer', tokenValue: 'ok', authorization: secret }],
    ['a password with a line break', { type: 'basic', userName: 'u', password: secret }],
    ['a password over the length limit', { type: 'basic', userName: 'u', password: `S3cr3t${'x'.repeat(limits.maxSecretLength)}` }],
    ['a token that looks masked', { type: 'custom', tokenName: 'X-Key', tokenValue: `****${secret}` }],
    ['a bad fixed Authorization', { type: 'apikey', tokenValue: 'ok', authorization: secret }],
    ['a misspelt secret field', { type: 'bearer', tokenValu: secret }],
  ])('in the issues for %s', (_name, auth) => {
    const r = decodeSubscriptionCreate({ ...base, auth });
    expect(r.kind).toBe('invalid');
    expect(JSON.stringify(r)).not.toContain('S3cr3t');
  });

  it('nor the credentials of a rejected URL', () => {
    const r = decodeSubscriptionCreate({ ...base, url: 'https://user:S3cr3t@hooks.example.com/' });
    expect(r).toEqual({ kind: 'invalid', issues: [{ field: 'url', message: expect.stringContaining('credentials') }] });
    expect(JSON.stringify(r)).not.toContain('S3cr3t');
  });
});
