import type { EndpointAuth, SigningSecrets, SubscriptionRecord } from './subscription-types.js';

/**
 * Applies `fn` to every secret field of a subscription (auth password/tokens, fixed
 * Authorization value, signing secrets, secret URL query values) and nothing else. `field` names the secret's
 * path, used as the encryption context so ciphertexts cannot be swapped between fields.
 * Sealing, opening and masking are all this one function with a different `fn`.
 */
export function mapSecrets<A, B>(record: SubscriptionRecord<A>, fn: (secret: A, field: string) => B): SubscriptionRecord<B> {
  const { urlSecrets, ...rest } = record;
  return {
    ...rest,
    auth: mapAuthSecrets(record.auth, fn),
    signing: mapSigning(record.signing, fn),
    ...(urlSecrets === undefined ? {} : { urlSecrets: urlSecrets.map((s, i) => fn(s, `url.secrets[${i}]`)) }),
  };
}

export function mapAuthSecrets<A, B>(auth: EndpointAuth<A>, fn: (secret: A, field: string) => B): EndpointAuth<B> {
  const authz = (a: { authorization?: A }): { authorization?: B } =>
    a.authorization === undefined ? {} : { authorization: fn(a.authorization, 'auth.authorization') };
  switch (auth.type) {
    case 'none':
      return { type: 'none', ...authz(auth) };
    case 'basic':
      return { type: 'basic', userName: auth.userName, password: fn(auth.password, 'auth.password') };
    case 'bearer':
      return { type: 'bearer', tokenValue: fn(auth.tokenValue, 'auth.tokenValue') };
    case 'apikey':
      return { type: 'apikey', tokenValue: fn(auth.tokenValue, 'auth.tokenValue'), ...authz(auth) };
    case 'custom':
      return { type: 'custom', tokenName: auth.tokenName, tokenValue: fn(auth.tokenValue, 'auth.tokenValue'), ...authz(auth) };
  }
}

function mapSigning<A, B>(signing: SigningSecrets<A>, fn: (secret: A, field: string) => B): SigningSecrets<B> {
  return {
    current: fn(signing.current, 'signing.current'),
    previous: signing.previous === null ? null : fn(signing.previous, 'signing.previous'),
    previousExpiresAt: signing.previousExpiresAt,
    rotatedAt: signing.rotatedAt,
  };
}
