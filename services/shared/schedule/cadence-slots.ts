import { createHash } from 'node:crypto';
import type { Cadence } from '../subscriptions/subscription-types.js';

const minuteMs = 60_000;
const hourMs = 3_600_000;
const dayMs = 86_400_000;
/** A slot not delivered within this long is retried on the following boundaries of this length (DESIGN.md §8). */
export const missedSlotRetryMs = 15 * minuteMs;

/**
 * The slot boundaries of a cadence (pure, UTC): a slot is the boundary's epoch
 * milliseconds. Every N minutes counts from the Unix epoch (uniform steps; N dividing 60
 * gives :00, :N, …); hourly at :00; daily at `at`; monthly on `day` at 00:00.
 */
export function boundaryAtOrBefore(cadence: Cadence, atMs: number): number {
  switch (cadence.every) {
    case 'minutes':
      return floorTo(atMs, cadence.minutes * minuteMs, 0);
    case 'hour':
      return floorTo(atMs, hourMs, 0);
    case 'day':
      return floorTo(atMs, dayMs, timeOfDayMs(cadence.at));
    case 'month': {
      const d = new Date(atMs);
      const here = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), cadence.day);
      return here <= atMs ? here : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, cadence.day);
    }
  }
}

/** The first boundary strictly after `afterMs`. */
export function nextBoundary(cadence: Cadence, afterMs: number): number {
  if (cadence.every === 'month') {
    const d = new Date(afterMs);
    const here = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), cadence.day);
    return here > afterMs ? here : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, cadence.day);
  }
  const step = cadence.every === 'minutes' ? cadence.minutes * minuteMs : cadence.every === 'hour' ? hourMs : dayMs;
  return boundaryAtOrBefore(cadence, afterMs) + step;
}

/** A subscription's first slot: the first boundary after it was subscribed (hourly, subscribed 15:45 → 16:00; at 16:00 → 17:00). */
export function firstSlot(cadence: Cadence, subscribedAtMs: number): number {
  return nextBoundary(cadence, subscribedAtMs);
}

/** The slots in (afterMs, untilMs], oldest first, at most `max` (the oldest ones). */
export function slotsBetween(cadence: Cadence, afterMs: number, untilMs: number, max: number): number[] {
  const out: number[] = [];
  for (let s = nextBoundary(cadence, afterMs); s <= untilMs && out.length < max; s = nextBoundary(cadence, s)) out.push(s);
  return out;
}

/**
 * When a slot is (re)attempted: at once while it is within `retryMs` of its boundary;
 * later, on the first `retryMs` boundary (:00, :15, :30, :45 by default) at or after now.
 */
export function slotAttemptAt(slotMs: number, nowMs: number, retryMs: number = missedSlotRetryMs): number {
  if (nowMs < slotMs + retryMs) return Math.max(nowMs, slotMs);
  const floor = floorTo(nowMs, retryMs, 0);
  return floor === nowMs ? nowMs : floor + retryMs;
}

/**
 * The `webhook-id` of a slot's request number `part` (a slot larger than the request
 * size cap goes out in several requests, in order): derived from the subscription and the
 * slot only, so every instance and every repeat names it the same.
 */
export function scheduledWebhookId(subscriptionId: string, slotMs: number, part: number): string {
  const digest = createHash('sha256').update(`${subscriptionId}/scheduled/${new Date(slotMs).toISOString()}/${part}`).digest('base64url').slice(0, 24);
  return `msg_${digest}`;
}

function floorTo(t: number, step: number, offset: number): number {
  return Math.floor((t - offset) / step) * step + offset;
}

function timeOfDayMs(at: string): number {
  const [h, m] = at.split(':').map(Number);
  return ((h ?? 0) * 60 + (m ?? 0)) * minuteMs;
}
