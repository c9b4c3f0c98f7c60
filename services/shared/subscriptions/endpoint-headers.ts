import { signatureHeader } from '../webhook-signature.js';
import { liveSigningSecrets } from './signing-secrets.js';
import type { EndpointAuth, Subscription } from './subscription-types.js';

export const userAgent = 'fleethook-webhooks/0.1';

/** The subscription's own auth headers (DESIGN.md §3), from plaintext secrets. */
export function authHeaders(auth: EndpointAuth<string>): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return auth.authorization === undefined ? {} : { authorization: auth.authorization };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.userName}:${auth.password}`, 'utf8').toString('base64')}` };
    case 'bearer':
      return { authorization: `Bearer ${auth.tokenValue}` };
    case 'apikey':
      return { apikey: auth.tokenValue, ...(auth.authorization === undefined ? {} : { authorization: auth.authorization }) };
    case 'custom':
      return { [auth.tokenName.toLowerCase()]: auth.tokenValue, ...(auth.authorization === undefined ? {} : { authorization: auth.authorization }) };
  }
}

/**
 * Every header of one request to an endpoint (DESIGN.md §5): Standard Webhooks id,
 * timestamp and signature (one per live secret during a rotation), content type, user
 * agent and the subscription's auth headers.
 */
export function endpointHeaders(
  sub: Subscription,
  request: { webhookId: string; body: string | Buffer; contentType: string; now: Date },
): Record<string, string> {
  const timestampSeconds = Math.floor(request.now.getTime() / 1000);
  return {
    ...authHeaders(sub.auth),
    'content-type': request.contentType,
    'user-agent': userAgent,
    'webhook-id': request.webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(liveSigningSecrets(sub.signing, request.now), request.webhookId, timestampSeconds, request.body),
  };
}
