import type { FailureEvent } from '../../schemas/failure-event.js';

/**
 * What the alerter sends and when (DESIGN.md §7), as a pure function of the
 * subscription's alert state, an input (a failure event or a timer tick) and the clock.
 * The I/O around it sends what it returns and keeps `next` only once that is done.
 */
export const alertKinds = ['first_alert', 'reminder', 'recovery', 'deactivation', 'paused', 'verification_failed'] as const;
export type AlertKind = (typeof alertKinds)[number];

export interface PlannedAlert {
  readonly kind: AlertKind;
  /** The same alert has the same id on every instance: `event:<eventId>` or `reminder:<sub>:<anchorMs>:<n>`. */
  readonly dedupeId: string;
  /** What the e-mail shows (for reminders: the newest event of the failing run). */
  readonly event: FailureEvent;
  /** Reminders only: 1 for the first reminder of a run. */
  readonly reminderNumber: number | null;
}

export type SubscriptionAlertState =
  | {
      readonly kind: 'failing';
      readonly latest: FailureEvent;
      /** Reminder n is due at anchorMs + n × interval: the failing run's start, the same on every instance. */
      readonly anchorMs: number;
      /** The newest reminder slot already sent (or skipped because the first alert covers it). */
      readonly remindedSlot: number;
      readonly recentEventIds: readonly string[];
    }
  | { readonly kind: 'quiet'; readonly recentEventIds: readonly string[] };

export type AlertInput = { readonly kind: 'event'; readonly event: FailureEvent } | { readonly kind: 'tick' };

export interface AlertDecision {
  readonly next: SubscriptionAlertState;
  readonly alerts: readonly PlannedAlert[];
  /** Set when an event was seen before (same eventId) and changes nothing. */
  readonly duplicate: boolean;
}

export interface AlertClock {
  readonly nowMs: number;
  readonly reminderIntervalMs: number;
}

const rememberedEventIds = 32;
const quiet: SubscriptionAlertState = { kind: 'quiet', recentEventIds: [] };

export function decideAlerts(state: SubscriptionAlertState | undefined, input: AlertInput, clock: AlertClock): AlertDecision {
  const current = state ?? quiet;
  if (input.kind === 'tick') return decideTick(current, clock);
  const { event } = input;
  if (current.recentEventIds.includes(event.eventId)) return { next: current, alerts: [], duplicate: true };
  const recentEventIds = [...current.recentEventIds, event.eventId].slice(-rememberedEventIds);
  const eventAlert = (kind: AlertKind): PlannedAlert => ({ kind, dedupeId: `event:${event.eventId}`, event, reminderNumber: null });
  switch (event.kind) {
    case 'parked': {
      const anchorMs = anchorOf(event);
      // The first alert stands in for any reminder already due (failures that began long ago).
      const next = { kind: 'failing', latest: event, anchorMs, remindedSlot: slotAt(anchorMs, clock), recentEventIds } as const;
      return { next, alerts: [eventAlert('first_alert')], duplicate: false };
    }
    case 'still_failing': {
      const anchorMs = anchorOf(event);
      const sameRun = current.kind === 'failing' && current.anchorMs === anchorMs;
      const failing = { kind: 'failing', latest: event, anchorMs, remindedSlot: sameRun ? current.remindedSlot : 0, recentEventIds } as const;
      return { ...decideTick(failing, clock), duplicate: false };
    }
    case 'recovered':
      return { next: { kind: 'quiet', recentEventIds }, alerts: current.kind === 'failing' ? [eventAlert('recovery')] : [], duplicate: false };
    case 'deactivated':
      return { next: { kind: 'quiet', recentEventIds }, alerts: [eventAlert('deactivation')], duplicate: false };
    case 'paused':
      return { next: { kind: 'quiet', recentEventIds }, alerts: [eventAlert('paused')], duplicate: false };
    case 'verification_failed':
      return { next: { ...current, recentEventIds }, alerts: [eventAlert('verification_failed')], duplicate: false };
  }
}

function decideTick(state: SubscriptionAlertState, clock: AlertClock): AlertDecision {
  if (state.kind !== 'failing') return { next: state, alerts: [], duplicate: false };
  const slot = slotAt(state.anchorMs, clock);
  if (slot < 1 || slot <= state.remindedSlot) return { next: state, alerts: [], duplicate: false };
  // After a gap (alerter down, SMTP out) only the newest missed reminder goes out, not a burst.
  const alert: PlannedAlert = {
    kind: 'reminder',
    dedupeId: `reminder:${state.latest.subscriptionId}:${state.anchorMs}:${slot}`,
    event: state.latest,
    reminderNumber: slot,
  };
  return { next: { ...state, remindedSlot: slot }, alerts: [alert], duplicate: false };
}

/** How many whole reminder intervals have passed since the run began (0 before the first). */
export function slotAt(anchorMs: number, clock: AlertClock): number {
  return Math.max(0, Math.floor((clock.nowMs - anchorMs) / clock.reminderIntervalMs));
}

function anchorOf(event: FailureEvent): number {
  const since = Date.parse(event.firstFailureAt ?? event.at);
  return Number.isFinite(since) ? since : Date.parse(event.at);
}
