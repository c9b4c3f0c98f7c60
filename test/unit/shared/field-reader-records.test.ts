import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '../../../services/shared/errors.js';
import { FieldReader, complete, issuesText } from '../../../services/shared/field-reader.js';

/** A small record decoder in the style of the topic decoders: `{ id, code: number | null, tags: [{ name }], owner?: { name } }`. */
function decode(text: string): { ok: unknown } | { invalid: string } {
  const issues: FieldIssue[] = [];
  const r = FieldReader.ofJson(text, issues, { quoteStrings: false });
  if (typeof r === 'string') return { invalid: r };
  const fields = complete({
    id: r.string('id', { max: 10 }),
    code: r.nullable('code', (n) => r.number(n, { integer: true })),
    tags: r.list('tags', { minItems: 1, maxItems: 3 }, (item, path) => {
      const t = FieldReader.of(item, path, issues);
      return t === null ? undefined : complete({ name: t.string('name', { max: 5 }) });
    }),
    owner: r.object('owner', (o) => complete({ name: o.string('name', { max: 5 }) })),
  });
  return fields === undefined ? { invalid: issuesText(issues) } : { ok: fields };
}

const good = { id: 'rec_1', code: null, tags: [{ name: 'a' }], owner: { name: 'bo' } };
const json = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });

describe('FieldReader as the base of record decoders', () => {
  it('decodes a record into typed fields, null kept where the field allows it, unknown fields ignored', () => {
    expect(decode(json({ extra: 1 }))).toEqual({ ok: good });
    expect(decode(json({ code: 7 }))).toEqual({ ok: { ...good, code: 7 } });
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['an array', '[1]', 'not an object'],
    ['a string', '"x"', 'not an object'],
    ['null', 'null', 'not an object'],
    ['a nullable field left out', JSON.stringify({ ...good, code: undefined }), 'code: is required, got nothing'],
    ['a nullable field of the wrong type (a string value is not quoted)', json({ code: '7' }), 'code: must be an integer'],
    ['an empty list', json({ tags: [] }), 'tags: must be a non-empty list, got an empty array'],
    ['a list too long', json({ tags: [good.tags[0], good.tags[0], good.tags[0], good.tags[0]] }), 'tags: must have at most 3 items, got an array of 4 items'],
    ['a list that is an object', json({ tags: { name: 'a' } }), 'tags: must be an array, got an object'],
    ['a bad item, by its index', json({ tags: [{ name: 'a' }, { name: 'toolong' }] }), 'tags[1].name: must have at most 5 characters, got "toolong"'],
    ['an item that is not an object', json({ tags: ['a'] }), 'tags[0]: must be an object, got "a"'],
    ['a nested object missing a field', json({ owner: {} }), 'owner.name: is required, got nothing'],
    ['a nested object that is a list', json({ owner: [] }), 'owner: must be an object, got an empty array'],
    ['several problems at once', json({ id: 5, owner: null }), 'id: must be a string, got 5; owner: is required, got null'],
  ])('refuses %s, naming the field', (_what, text, reason) => {
    expect(decode(text)).toEqual({ invalid: reason });
  });

  it('complete() is undefined as soon as one field is, and keeps null and false', () => {
    expect(complete({ a: 1, b: undefined })).toBeUndefined();
    expect(complete({ a: null, b: false, c: 0, d: '' })).toEqual({ a: null, b: false, c: 0, d: '' });
  });
});
