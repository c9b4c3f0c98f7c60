import type { FieldIssue } from '../errors.js';
import { FieldReader, issuesText } from '../field-reader.js';
import { decodeStoredSubscription } from './decode-stored-subscription.js';
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

/** Decodes a non-null value: the envelope, the record's structure, and that every secret field is sealed. */
export function decodeSubscriptionRecord(value: Buffer): DecodedRecord {
  const issues: FieldIssue[] = [];
  const r = FieldReader.ofJson(value.toString('utf8'), issues);
  if (r === 'not JSON') return { kind: 'invalid', reason: 'value is not JSON' };
  if (typeof r === 'string' || r.raw('schemaVersion') !== subscriptionRecordVersion) return { kind: 'invalid', reason: 'unknown schemaVersion' };
  if (!r.has('subscription')) return { kind: 'invalid', reason: 'missing subscription' };
  const subscription = decodeStoredSubscription(r.raw('subscription'), issues);
  return subscription === undefined ? { kind: 'invalid', reason: issuesText(issues) } : { kind: 'subscription', subscription };
}
