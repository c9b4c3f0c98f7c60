import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorCodes } from '../../../services/admin-api/api-error.js';
import { toErrorResponse } from '../../../services/admin-api/error-response.js';
import { FleethookError, fleethookErrorCodes } from '../../../services/shared/errors.js';
import type { FleethookErrorCode } from '../../../services/shared/errors.js';

const root = path.resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

describe('error codes are a closed set', () => {
  it('a misspelt code does not compile (npm run typecheck fails if one of these lines compiles)', () => {
    // @ts-expect-error 'CATALOGUE_LAGING' is not a FleethookErrorCode
    const typo = new FleethookError('CATALOGUE_LAGING', 'x');
    const err: FleethookError = new FleethookError('COMPACTED_TOPIC_LAGGING', 'slow', { retriable: true });
    // @ts-expect-error comparing with a code outside the set is refused too
    const branch = err.code === 'CATALOGUE_LAGING';
    // @ts-expect-error an admin API body code outside apiErrorCodes does not compile
    const refusal = new ApiError('not_fuond', 'x');
    expect([typo.code, branch, refusal.status]).toEqual(['CATALOGUE_LAGING', false, undefined]);
  });

  it('every code thrown in services/ and stack/ is in the list, and every listed code is thrown somewhere', () => {
    const text = [...sources(path.join(root, 'services')), ...sources(path.join(root, 'stack'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    const thrown = new Set([...text.matchAll(/(?:FleethookError|super)\(\s*'([A-Z_]+)'/g)].map((m) => m[1]));
    const listed = new Set<string>(fleethookErrorCodes);
    expect([...thrown].filter((c) => c !== undefined && !listed.has(c))).toEqual([]);
    expect(fleethookErrorCodes.filter((c) => !thrown.has(c))).toEqual([]);
    expect(new Set(fleethookErrorCodes).size).toBe(fleethookErrorCodes.length);
  });

  it('the admin API answers only listed codes: each refusal by its own, anything unexpected as internal_error', () => {
    for (const code of Object.keys(apiErrorCodes) as (keyof typeof apiErrorCodes)[]) {
      const res = toErrorResponse(new ApiError(code, 'refused'));
      expect(res).toMatchObject({ status: apiErrorCodes[code], body: { code } });
    }
    const codes: FleethookErrorCode[] = ['COMPACTED_TOPIC_LAGGING', 'SCHEMA_REGISTRY'];
    expect(codes.map((c) => toErrorResponse(new FleethookError(c, 'detail')).body.code)).toEqual(['unavailable', 'internal_error']);
    expect(toErrorResponse(new Error('plain')).body.code).toBe('internal_error');
    expect(toErrorResponse('not even an error').body.code).toBe('internal_error');
  });
});
