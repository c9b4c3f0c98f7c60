/**
 * The retry schedule of a parked subscription (DESIGN.md §6) as data: tier name →
 * delay → topic. Tests shrink the delays through the dispatcher's config loader; the
 * topic names and their order are fixed here.
 */
export interface RetryTier {
  readonly name: string;
  readonly delayMs: number;
  readonly topic: string;
}

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

export const retryTiers: readonly RetryTier[] = [
  { name: '5m', delayMs: 5 * minuteMs, topic: 'webhook.retry.5m' },
  { name: '15m', delayMs: 15 * minuteMs, topic: 'webhook.retry.15m' },
  { name: '35m', delayMs: 35 * minuteMs, topic: 'webhook.retry.35m' },
  { name: '1h', delayMs: hourMs, topic: 'webhook.retry.1h' },
  { name: '2h30m', delayMs: 2.5 * hourMs, topic: 'webhook.retry.2h30m' },
  { name: '5h', delayMs: 5 * hourMs, topic: 'webhook.retry.5h' },
  { name: '10h30m', delayMs: 10.5 * hourMs, topic: 'webhook.retry.10h30m' },
  { name: '21h', delayMs: 21 * hourMs, topic: 'webhook.retry.21h' },
  { name: '2d', delayMs: 2 * dayMs, topic: 'webhook.retry.2d' },
  // The last tier repeats until the policy's limit (7 days by default) is reached.
  { name: 'daily', delayMs: dayMs, topic: 'webhook.retry.daily' },
];
