import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccountKey } from './config.js';

export type Principal = { readonly kind: 'account'; readonly accountId: string } | { readonly kind: 'operator' };

interface KnownKey {
  readonly digest: Buffer;
  readonly principal: Principal;
}

/**
 * Bearer API keys. Keys are kept only as SHA-256 digests and compared with
 * `timingSafeEqual` on digests (equal lengths whatever the input), checking every known
 * key so the time taken does not reveal which one nearly matched.
 */
export class ApiKeyAuthenticator {
  private readonly keys: readonly KnownKey[];

  constructor(accountKeys: readonly AccountKey[], operatorKey: string | null) {
    const keys: KnownKey[] = accountKeys.map((k) => ({ digest: digest(k.key), principal: { kind: 'account', accountId: k.accountId } }));
    if (operatorKey !== null) keys.push({ digest: digest(operatorKey), principal: { kind: 'operator' } });
    this.keys = keys;
  }

  authenticate(authorizationHeader: string | undefined): Principal | null {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(authorizationHeader ?? '');
    if (!match?.[1]) return null;
    const presented = digest(match[1]);
    let found: Principal | null = null;
    for (const k of this.keys) {
      if (timingSafeEqual(k.digest, presented)) found = k.principal;
    }
    return found;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
