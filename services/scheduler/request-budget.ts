import type { Subscription } from '../shared/subscriptions/subscription-types.js';
import { limits } from '../shared/subscriptions/subscription-types.js';
import { buildBody } from '../shared/webhook/webhook-body.js';

/**
 * How many bytes a scheduled request's body takes (pure): the head, which the dispatcher
 * builds per attempt, plus the data in the subscription's content type. JSON bodies carry
 * the data's UTF-8 bytes; form bodies carry it percent-encoded (`[`, `,` and `"` take 3
 * bytes each), so the same items make a longer form request. `maxRequestBytes` caps the
 * whole body the endpoint receives.
 */
export interface RequestBudget {
  /** The cap on a whole body (the subscription's `maxRequestBytes`). */
  readonly capBytes: number;
  /** The most a body may ever take (1 MiB, what the topics are sized for): an item beyond it alone is left out. */
  readonly ceilingBytes: number;
  /** The head's bytes at their largest (longest mode, largest counters). */
  readonly headBytes: number;
  /** The bytes a piece of the data's JSON text takes in the body. */
  sizeOf(text: string): number;
}

const epoch = new Date(0);

export function requestBudget(sub: Pick<Subscription, 'id' | 'accountId' | 'contentType'>, capBytes: number): RequestBudget {
  // The head at its largest: retryCount and queueDepth of 16 digits; fixed-width ids and times.
  const head = buildBody(sub, 'scheduled', '', {
    webhookId: `msg_${'x'.repeat(24)}`, mode: 'simulated', createdAt: epoch, enqueueTime: epoch, requestTime: epoch,
    retryCount: Number.MAX_SAFE_INTEGER, queueDepth: Number.MAX_SAFE_INTEGER,
  });
  const form = sub.contentType === 'application/x-www-form-urlencoded';
  return {
    capBytes,
    ceilingBytes: Math.max(capBytes, limits.maxScheduledRequestBytes),
    headBytes: Buffer.byteLength(head, 'utf8'),
    // The form encoding is per character, so the pieces' sizes add up to the whole's (its output is ASCII).
    sizeOf: form ? (text) => new URLSearchParams([['d', text]]).toString().length - 2 : (text) => Buffer.byteLength(text, 'utf8'),
  };
}
