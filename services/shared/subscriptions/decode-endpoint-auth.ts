import type { FieldIssue } from '../errors.js';
import { FieldReader } from './field-reader.js';
import { limits } from './subscription-types.js';
import type { EndpointAuth } from './subscription-types.js';

const headerToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Header values: visible ASCII and spaces/tabs only — no CR/LF header injection.
const headerValue = /^[\t\x20-\x7e]+$/;
const headerValueHint = 'must be printable ASCII without line breaks';
/** A masked value as the API returns it (see mask-secret.ts); never a real secret. */
const maskedLooking = /^\*{4}/;

/** Headers fleethook sets itself; a custom auth header must not replace them. */
export const reservedHeaderNames: ReadonlySet<string> = new Set([
  'authorization', 'content-type', 'content-length', 'host', 'user-agent', 'connection',
  'transfer-encoding', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'apikey',
]);

/** Decodes `auth`: how fleethook authenticates to the endpoint. Secrets stay plaintext here. */
export function decodeEndpointAuth(value: unknown, path: string, issues: FieldIssue[]): EndpointAuth<string> | undefined {
  const r = FieldReader.of(value, path, issues);
  if (!r) return undefined;
  const type = r.oneOf('type', ['none', 'basic', 'bearer', 'apikey', 'custom'] as const, true);
  const secret = (name: string): string | undefined => readSecret(r, name);
  let auth: EndpointAuth<string> | undefined;
  switch (type) {
    case 'none': {
      const authorization = secret('authorization');
      auth = { type, ...(authorization === undefined ? {} : { authorization }) };
      break;
    }
    case 'basic': {
      const userName = r.string('userName', { required: true, max: 256, pattern: /^[^:\r\n]+$/, patternHint: 'must not contain ":" or line breaks' });
      const password = requiredSecret(r, 'password');
      auth = userName !== undefined && password !== undefined ? { type, userName, password } : undefined;
      break;
    }
    case 'bearer': {
      const tokenValue = requiredSecret(r, 'tokenValue');
      auth = tokenValue === undefined ? undefined : { type, tokenValue };
      break;
    }
    case 'apikey': {
      const tokenValue = requiredSecret(r, 'tokenValue');
      const authorization = secret('authorization');
      auth = tokenValue === undefined ? undefined : { type, tokenValue, ...(authorization === undefined ? {} : { authorization }) };
      break;
    }
    case 'custom': {
      auth = decodeCustom(r, secret);
      break;
    }
    case undefined:
      break;
  }
  if (type === 'basic' || type === 'bearer') {
    if (r.has('authorization')) r.issue('authorization', `cannot be combined with ${type} auth, which sets the Authorization header itself`);
    r.raw('authorization');
  }
  r.rejectUnknown();
  return auth;
}

function decodeCustom(r: FieldReader, secret: (name: string) => string | undefined): EndpointAuth<string> | undefined {
  const tokenName = r.string('tokenName', { required: true, max: 128, pattern: headerToken, patternHint: 'must be a valid HTTP header name' });
  if (tokenName !== undefined && reservedHeaderNames.has(tokenName.toLowerCase())) {
    r.issue('tokenName', `"${tokenName}" is set by fleethook and cannot be used as a custom auth header`);
  }
  const tokenValue = requiredSecret(r, 'tokenValue');
  const authorization = secret('authorization');
  if (tokenName === undefined || tokenValue === undefined || reservedHeaderNames.has(tokenName.toLowerCase())) return undefined;
  return { type: 'custom', tokenName, tokenValue, ...(authorization === undefined ? {} : { authorization }) };
}

function requiredSecret(r: FieldReader, name: string): string | undefined {
  if (!r.has(name)) {
    r.raw(name);
    r.issue(name, 'is required');
    return undefined;
  }
  return readSecret(r, name);
}

function readSecret(r: FieldReader, name: string): string | undefined {
  const value = r.string(name, { required: false, max: limits.maxSecretLength, pattern: headerValue, patternHint: headerValueHint });
  if (value !== undefined && maskedLooking.test(value)) {
    r.issue(name, 'looks like a masked value returned by the API; send the real secret');
    return undefined;
  }
  return value;
}
