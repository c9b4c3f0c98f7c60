import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FleethookError } from './errors.js';
import type { SealedSecret } from './subscriptions/subscription-types.js';

const prefix = 'fhenc.v1.';
const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;
const ivBytes = 12;
const keyBytes = 32;

export interface EncryptionKey {
  readonly keyId: string;
  readonly key: Buffer;
}

/**
 * AES-256-GCM envelope for secrets at rest. Several keys may be configured so old records
 * stay readable after a key rotation; new secrets are sealed with the active key. The
 * key id travels in the envelope. `context` (e.g. `sub_…/auth.tokenValue`) is bound as
 * additional authenticated data, so a ciphertext copied into another record or field
 * does not open.
 */
export class SecretBox {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(keys: readonly EncryptionKey[], private readonly activeKeyId: string) {
    const map = new Map<string, Buffer>();
    for (const k of keys) {
      if (!keyIdPattern.test(k.keyId)) throw new FleethookError('CRYPTO_KEY_INVALID', `key id "${k.keyId}" must match ${keyIdPattern.source}`);
      if (k.key.length !== keyBytes) throw new FleethookError('CRYPTO_KEY_INVALID', `key "${k.keyId}" must be ${keyBytes} bytes`);
      map.set(k.keyId, k.key);
    }
    if (!map.has(activeKeyId)) throw new FleethookError('CRYPTO_KEY_INVALID', `active key "${activeKeyId}" is not configured`);
    this.keys = map;
  }

  seal(plaintext: string, context: string): SealedSecret {
    const key = this.keys.get(this.activeKeyId) as Buffer;
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [this.activeKeyId, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')];
    return `${prefix}${parts.join('.')}` as SealedSecret;
  }

  open(sealed: SealedSecret, context: string): string {
    const parts = sealed.startsWith(prefix) ? sealed.slice(prefix.length).split('.') : [];
    const [keyId, iv, ciphertext, tag] = parts;
    if (parts.length !== 4 || keyId === undefined || iv === undefined || ciphertext === undefined || tag === undefined) {
      throw new FleethookError('SECRET_MALFORMED', 'sealed secret is malformed');
    }
    const key = this.keys.get(keyId);
    if (!key) throw new FleethookError('SECRET_KEY_UNKNOWN', `sealed with key "${keyId}", which is not configured`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new FleethookError('SECRET_UNSEAL_FAILED', `cannot open secret sealed with key "${keyId}"`, { cause });
    }
  }

  /** Whether `sealed` uses a key other than the active one (candidates for re-sealing). */
  needsReseal(sealed: SealedSecret): boolean {
    return !sealed.startsWith(`${prefix}${this.activeKeyId}.`);
  }
}

export function isSealedSecret(value: unknown): value is SealedSecret {
  return typeof value === 'string' && value.startsWith(prefix);
}

/**
 * Parses `kid1:base64key,kid2:base64key` (32-byte keys). Returns problems rather than
 * throwing, so `loadConfig` can report them with the variable name.
 */
export function parseEncryptionKeys(raw: string): { keys: EncryptionKey[]; problems: string[] } {
  const keys: EncryptionKey[] = [];
  const problems: string[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const sep = entry.indexOf(':');
    const keyId = entry.slice(0, sep);
    const key = Buffer.from(entry.slice(sep + 1), 'base64');
    if (sep <= 0 || !keyIdPattern.test(keyId)) problems.push(`key entry "${keyId || '?'}" needs the form <keyId>:<base64 key>`);
    else if (key.length !== keyBytes) problems.push(`key "${keyId}" must decode to ${keyBytes} bytes, got ${key.length}`);
    else keys.push({ keyId, key });
  }
  return { keys, problems };
}
