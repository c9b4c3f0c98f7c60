import { createHash, timingSafeEqual } from 'node:crypto';
import { isSubscriptionId } from './subscription-ids.js';
import type { AlertEmailConfirmation, AlertEmailConfirmations, SubscriptionRecord } from './subscription-types.js';

/**
 * Whether each alert address of a subscription has been confirmed by its holder (pure).
 * The map lives in the subscription record (the compacted catalogue topic is its durable
 * home), keyed by the lower-cased address; a pending entry holds only the SHA-256 of its
 * token. An address without an entry has never been asked (or its entry was dropped when
 * the address was removed); an expired pending entry counts as not asked.
 */
export type AlertAddressState = 'confirmed' | 'pending' | 'expired' | 'unconfirmed';

export interface AlertAddressView {
  readonly address: string;
  readonly state: AlertAddressState;
  /** When the last confirmation e-mail was requested (pending, expired), or when it was confirmed. */
  readonly since: string | null;
  /** Pending or expired: when the link stops (or stopped) working. */
  readonly expiresAt: string | null;
}

export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function hashConfirmationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Tokens are `<subscriptionId>.<43 base64url characters>`: the id finds the record, the rest is the secret. */
const tokenPattern = /^(sub_[0-9a-z]+)\.([A-Za-z0-9_-]{43})$/;

export function subscriptionIdOfToken(token: string): string | null {
  const m = tokenPattern.exec(token);
  return m !== null && isSubscriptionId(m[1] ?? '') ? (m[1] ?? null) : null;
}

export function addressState(entry: AlertEmailConfirmation | undefined, nowMs: number): AlertAddressState {
  if (entry === undefined) return 'unconfirmed';
  if (entry.state === 'confirmed') return 'confirmed';
  return Date.parse(entry.expiresAt) > nowMs ? 'pending' : 'expired';
}

/** True only for an address the subscription still lists and whose holder confirmed it. */
export function isAlertAddressConfirmed(sub: Pick<SubscriptionRecord<unknown>, 'alertEmails' | 'alertEmailConfirmations'>, address: string): boolean {
  const key = normalizeAddress(address);
  if (!sub.alertEmails.some((a) => normalizeAddress(a) === key)) return false;
  return sub.alertEmailConfirmations?.[key]?.state === 'confirmed';
}

export function alertAddressViews(sub: Pick<SubscriptionRecord<unknown>, 'alertEmails' | 'alertEmailConfirmations'>, nowMs: number): AlertAddressView[] {
  return sub.alertEmails.map((address) => {
    const entry = sub.alertEmailConfirmations?.[normalizeAddress(address)];
    const state = addressState(entry, nowMs);
    const since = entry === undefined ? null : entry.state === 'confirmed' ? entry.confirmedAt : entry.requestedAt;
    return { address, state, since, expiresAt: entry?.state === 'pending' ? entry.expiresAt : null };
  });
}

export interface ConfirmationPlan {
  /** The entries of addresses still listed, minus those that get a new request. */
  readonly kept: AlertEmailConfirmations;
  /** Listed addresses to send a confirmation e-mail to: never asked, or their link expired. */
  readonly toRequest: readonly string[];
}

/**
 * What writing `alertEmails` calls for: removed addresses lose their entry (re-adding one
 * asks again), new ones and expired ones are asked. A pending, unexpired address is not
 * asked again, so re-sending the same list cannot be used to mail an address repeatedly.
 */
export function planConfirmationRequests(current: AlertEmailConfirmations | undefined, alertEmails: readonly string[], nowMs: number): ConfirmationPlan {
  const kept: Record<string, AlertEmailConfirmation> = {};
  const toRequest: string[] = [];
  const seen = new Set<string>();
  for (const address of alertEmails) {
    const key = normalizeAddress(address);
    if (seen.has(key)) continue; // the same mailbox spelled twice is asked once
    seen.add(key);
    const entry = current?.[key];
    const state = addressState(entry, nowMs);
    if (entry !== undefined && (state === 'confirmed' || state === 'pending')) kept[key] = entry;
    else toRequest.push(address);
  }
  return { kept, toRequest };
}

/**
 * The listed address whose pending, unexpired entry matches `token`, compared in constant
 * time; null for anything else (unknown, expired, already confirmed, removed).
 */
export function pendingAddressForToken(sub: Pick<SubscriptionRecord<unknown>, 'alertEmails' | 'alertEmailConfirmations'>, token: string, nowMs: number): string | null {
  const hash = Buffer.from(hashConfirmationToken(token), 'hex');
  let found: string | null = null;
  for (const address of sub.alertEmails) {
    const entry = sub.alertEmailConfirmations?.[normalizeAddress(address)];
    if (entry?.state !== 'pending' || addressState(entry, nowMs) !== 'pending') continue;
    const stored = Buffer.from(entry.tokenHash, 'hex');
    if (stored.length === hash.length && timingSafeEqual(stored, hash)) found = address;
  }
  return found;
}
