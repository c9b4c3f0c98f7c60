import type { SigningSecrets } from './subscription-types.js';

export function initialSigningSecrets(secret: string): SigningSecrets<string> {
  return { current: secret, previous: null, previousExpiresAt: null, rotatedAt: null };
}

/**
 * Rotation: the new secret becomes current; the old one stays valid (requests are signed
 * with both) until `graceMs` has passed, so the endpoint owner can switch without
 * rejecting traffic. Rotating again within the grace period drops the oldest secret.
 */
export function rotateSigningSecrets<S>(signing: SigningSecrets<S>, next: S, now: Date, graceMs: number): SigningSecrets<S> {
  return {
    current: next,
    previous: signing.current,
    previousExpiresAt: new Date(now.getTime() + graceMs).toISOString(),
    rotatedAt: now.toISOString(),
  };
}

/** The secrets to sign with (and accept) at `now`: current first, then previous while in grace. */
export function liveSigningSecrets<S>(signing: SigningSecrets<S>, now: Date): S[] {
  const previousLive = signing.previous !== null && signing.previousExpiresAt !== null && Date.parse(signing.previousExpiresAt) > now.getTime();
  return previousLive && signing.previous !== null ? [signing.current, signing.previous] : [signing.current];
}
