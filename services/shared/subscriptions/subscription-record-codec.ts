import { isSealedSecret } from '../secret-box.js';
import { subscriptionStates } from './subscription-types.js';
import type { StoredSubscription } from './subscription-types.js';

/**
 * The value format of the subscriptions topic: JSON `{ schemaVersion: 1, subscription }`
 * with every secret sealed; a null value (tombstone) deletes. JSON rather than Avro
 * because the topic is internal to fleethook and written by one module (this one); the
 * version field leaves room to evolve.
 */
export const subscriptionRecordVersion = 1;

export function encodeSubscriptionRecord(sub: StoredSubscription): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: subscriptionRecordVersion, subscription: sub }), 'utf8');
}

export type DecodedRecord =
  | { readonly kind: 'subscription'; readonly subscription: StoredSubscription }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Decodes a non-null value; checks the envelope and that every secret field is sealed. */
export function decodeSubscriptionRecord(value: Buffer): DecodedRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'value is not JSON' };
  }
  if (!isObject(parsed) || parsed.schemaVersion !== subscriptionRecordVersion) return { kind: 'invalid', reason: 'unknown schemaVersion' };
  const s = parsed.subscription;
  if (!isObject(s)) return { kind: 'invalid', reason: 'missing subscription' };
  const problem = envelopeProblem(s);
  return problem === null ? { kind: 'subscription', subscription: s as unknown as StoredSubscription } : { kind: 'invalid', reason: problem };
}

function envelopeProblem(s: Record<string, unknown>): string | null {
  for (const f of ['id', 'accountId', 'url', 'name', 'createdAt', 'updatedAt', 'contentType', 'retryPolicy'] as const) {
    if (typeof s[f] !== 'string') return `${f} must be a string`;
  }
  if (!(subscriptionStates as readonly unknown[]).includes(s.state)) return 'state is not a known state';
  if (typeof s.revision !== 'number') return 'revision must be a number';
  if (!isObject(s.source) || typeof s.source.kind !== 'string') return 'source.kind missing';
  if (!isObject(s.batching) || !Array.isArray(s.alertEmails)) return 'batching or alertEmails missing';
  if (s.alertEmailConfirmations !== undefined && !isObject(s.alertEmailConfirmations)) return 'alertEmailConfirmations must be an object';
  if (!isObject(s.auth) || typeof s.auth.type !== 'string') return 'auth.type missing';
  for (const f of ['password', 'tokenValue', 'authorization'] as const) {
    if (s.auth[f] !== undefined && !isSealedSecret(s.auth[f])) return `auth.${f} is not sealed`;
  }
  if (s.urlSecrets !== undefined && (!Array.isArray(s.urlSecrets) || !s.urlSecrets.every(isSealedSecret))) return 'urlSecrets are not sealed';
  if (!isObject(s.signing) || !isSealedSecret(s.signing.current)) return 'signing.current is not sealed';
  if (s.signing.previous !== null && !isSealedSecret(s.signing.previous)) return 'signing.previous is not sealed';
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
