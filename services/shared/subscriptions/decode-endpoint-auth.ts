import type { FieldIssue } from '../errors.js';
import { FieldReader } from '../field-reader.js';
import { limits } from './subscription-types.js';
import { textRules } from './text-rules.js';
import type { EndpointAuth } from './subscription-types.js';

// Header values: visible ASCII and spaces only — no CR/LF header injection, no control characters.
const headerToken = textRules.headerName;
const headerValue = textRules.headerValue;
const headerValueHint = 'must be printable ASCII without line breaks or control characters';
/** A masked value as the API returns it (see mask-secret.ts); never a real secret. */
const maskedLooking = /^\*{4}/;

/** Fields holding secrets (see map-secrets.ts): their values never appear in an issue. */
const secretFields = ['password', 'tokenValue', 'authorization'];

/** Headers fleethook sets itself; a custom auth header must not replace them. */
export const reservedHeaderNames: ReadonlySet<string> = new Set([
  'authorization', 'content-type', 'content-length', 'host', 'user-agent', 'connection',
  'transfer-encoding', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'apikey',
]);

/** Decodes `auth`: how fleethook authenticates to the endpoint. Secrets stay plaintext here. */
export function decodeEndpointAuth(value: unknown, path: string, issues: FieldIssue[]): EndpointAuth<string> | undefined {
  const r = FieldReader.of(value, path, issues, { redact: secretFields, rejectNull: true, quoteStrings: false });
  if (!r) return undefined;
  const type = r.oneOf('type', ['none', 'basic', 'bearer', 'apikey', 'custom'] as const);
  const secret = (name: string): string | undefined => readSecret(r, name, false);
  let auth: EndpointAuth<string> | undefined;
  switch (type) {
    case 'none': {
      const authorization = secret('authorization');
      auth = { type, ...(authorization === undefined ? {} : { authorization }) };
      break;
    }
    case 'basic': {
      const userName = r.string('userName', { max: 256, pattern: textRules.userName, patternHint: 'must not contain ":" or line breaks or other control characters' });
      const password = readSecret(r, 'password', true);
      auth = userName !== undefined && password !== undefined ? { type, userName, password } : undefined;
      break;
    }
    case 'bearer': {
      const tokenValue = readSecret(r, 'tokenValue', true);
      auth = tokenValue === undefined ? undefined : { type, tokenValue };
      break;
    }
    case 'apikey': {
      const tokenValue = readSecret(r, 'tokenValue', true);
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
    if (r.raw('authorization') !== undefined) r.fail('authorization', `cannot be combined with ${type} auth, which sets the Authorization header itself`);
  }
  r.rejectUnknown();
  return auth;
}

function decodeCustom(r: FieldReader, secret: (name: string) => string | undefined): EndpointAuth<string> | undefined {
  const tokenName = r.string('tokenName', { max: 128, pattern: headerToken, patternHint: 'must be a valid HTTP header name' });
  if (tokenName !== undefined && reservedHeaderNames.has(tokenName.toLowerCase())) {
    r.fail('tokenName', 'is set by fleethook and cannot be used as a custom auth header');
  }
  const tokenValue = readSecret(r, 'tokenValue', true);
  const authorization = secret('authorization');
  if (tokenName === undefined || tokenValue === undefined || reservedHeaderNames.has(tokenName.toLowerCase())) return undefined;
  return { type: 'custom', tokenName, tokenValue, ...(authorization === undefined ? {} : { authorization }) };
}

function readSecret(r: FieldReader, name: string, required: boolean): string | undefined {
  const value = r.string(name, { required, max: limits.maxSecretLength, pattern: headerValue, patternHint: headerValueHint });
  if (value !== undefined && maskedLooking.test(value)) return r.fail(name, 'looks like a masked value returned by the API; send the real secret');
  return value;
}
