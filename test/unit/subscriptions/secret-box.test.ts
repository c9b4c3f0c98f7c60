import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEncryptionKeys, SecretBox } from '../../../services/shared/secret-box.js';
import { FleethookError } from '../../../services/shared/errors.js';

const k1 = { keyId: 'k1', key: randomBytes(32) };
const k2 = { keyId: 'k2', key: randomBytes(32) };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof FleethookError ? err.code : 'not-a-fleethook-error';
  }
  return undefined;
}

describe('SecretBox (AES-256-GCM envelopes)', () => {
  it('round-trips and never contains the plaintext', () => {
    const box = new SecretBox([k1], 'k1');
    const sealed = box.seal('hunter2-password', 'sub_x/auth.password');
    expect(sealed).toMatch(/^fhenc\.v1\.k1\./);
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, 'sub_x/auth.password')).toBe('hunter2-password');
    expect(box.seal('same', 'c')).not.toBe(box.seal('same', 'c'));
  });

  it('fails with a wrong key, an unknown key id, another context or a tampered ciphertext', () => {
    const sealed = new SecretBox([k1], 'k1').seal('secret', 'ctx');
    expect(codeOf(() => new SecretBox([{ keyId: 'k1', key: randomBytes(32) }], 'k1').open(sealed, 'ctx'))).toBe('SECRET_UNSEAL_FAILED');
    expect(codeOf(() => new SecretBox([k2], 'k2').open(sealed, 'ctx'))).toBe('SECRET_KEY_UNKNOWN');
    expect(codeOf(() => new SecretBox([k1], 'k1').open(sealed, 'other'))).toBe('SECRET_UNSEAL_FAILED');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(codeOf(() => new SecretBox([k1], 'k1').open(parts.join('.') as typeof sealed, 'ctx'))).toBe('SECRET_UNSEAL_FAILED');
    expect(codeOf(() => new SecretBox([k1], 'k1').open('garbage' as typeof sealed, 'ctx'))).toBe('SECRET_MALFORMED');
  });

  it('keeps old records readable after the active key changes', () => {
    const old = new SecretBox([k1], 'k1').seal('secret', 'ctx');
    const rotated = new SecretBox([k1, k2], 'k2');
    expect(rotated.open(old, 'ctx')).toBe('secret');
    expect(rotated.needsReseal(old)).toBe(true);
    expect(rotated.seal('x', 'ctx')).toMatch(/^fhenc\.v1\.k2\./);
  });

  it('parses key configuration and reports bad entries', () => {
    const good = `k1:${k1.key.toString('base64')}`;
    expect(parseEncryptionKeys(good).keys).toHaveLength(1);
    expect(parseEncryptionKeys(`${good},short:${randomBytes(8).toString('base64')},nocolon`).problems).toHaveLength(2);
    expect(() => new SecretBox([k1], 'missing')).toThrow(/not configured/);
  });
});
