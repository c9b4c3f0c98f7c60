import { describe, expect, it } from 'vitest';
import { decideAlerts } from '../../../services/alerter/decide-alerts.js';
import type { AlertInput, SubscriptionAlertState } from '../../../services/alerter/decide-alerts.js';
import type { FailureEventKind } from '../../../schemas/failure-event.js';
import { failureEvent } from './failure-event-fixture.js';

const hourMs = 3_600_000;
const startMs = Date.parse('2026-05-04T10:00:00.000Z');
const clock = (offsetMs: number) => ({ nowMs: startMs + offsetMs, reminderIntervalMs: hourMs });
const event = (kind: FailureEventKind, eventId: string, extra = {}): AlertInput => ({ kind: 'event', event: failureEvent({ kind, eventId, ...extra }) });
const failing = (remindedSlot: number, recentEventIds: string[] = ['fev_p']): SubscriptionAlertState => ({
  kind: 'failing', latest: failureEvent({ eventId: 'fev_p' }), anchorMs: startMs, remindedSlot, recentEventIds,
});
const quiet: SubscriptionAlertState = { kind: 'quiet', recentEventIds: [] };

describe('decideAlerts', () => {
  const rows: {
    name: string; state: SubscriptionAlertState | undefined; input: AlertInput; atMs: number;
    alerts: string[]; next: 'failing' | 'quiet'; duplicate?: boolean;
  }[] = [
    { name: 'parked → first alert', state: undefined, input: event('parked', 'fev_p'), atMs: 5_000, alerts: ['first_alert:event:fev_p'], next: 'failing' },
    { name: 'still failing before the interval → nothing', state: failing(0), input: event('still_failing', 'fev_2'), atMs: hourMs - 1, alerts: [], next: 'failing' },
    { name: 'still failing exactly on the interval → reminder 1', state: failing(0), input: event('still_failing', 'fev_2'), atMs: hourMs, alerts: [`reminder:reminder:sub_1:${startMs}:1`], next: 'failing' },
    { name: 'reminder 1 already sent → nothing until slot 2', state: failing(1), input: event('still_failing', 'fev_3'), atMs: 2 * hourMs - 1, alerts: [], next: 'failing' },
    { name: 'timer tick exactly at slot 2 → reminder 2', state: failing(1), input: { kind: 'tick' }, atMs: 2 * hourMs, alerts: [`reminder:reminder:sub_1:${startMs}:2`], next: 'failing' },
    { name: 'timer tick one ms early → nothing', state: failing(1), input: { kind: 'tick' }, atMs: 2 * hourMs - 1, alerts: [], next: 'failing' },
    { name: 'after a gap only the newest missed reminder', state: failing(1), input: { kind: 'tick' }, atMs: 5 * hourMs + 10, alerts: [`reminder:reminder:sub_1:${startMs}:5`], next: 'failing' },
    { name: 'tick on a quiet subscription → nothing', state: quiet, input: { kind: 'tick' }, atMs: 9 * hourMs, alerts: [], next: 'quiet' },
    { name: 'recovered while failing → recovery notice, quiet', state: failing(2), input: event('recovered', 'fev_r'), atMs: 3 * hourMs, alerts: ['recovery:event:fev_r'], next: 'quiet' },
    { name: 'recovered while quiet → nothing', state: quiet, input: event('recovered', 'fev_r'), atMs: 10, alerts: [], next: 'quiet' },
    { name: 'deactivated → always a notice', state: undefined, input: event('deactivated', 'fev_d', { discarded: { items: 7, topic: 'webhook.audit' } }), atMs: 0, alerts: ['deactivation:event:fev_d'], next: 'quiet' },
    { name: 'deactivated while failing → notice, quiet', state: failing(3), input: event('deactivated', 'fev_d'), atMs: 0, alerts: ['deactivation:event:fev_d'], next: 'quiet' },
    { name: 'paused → notice, reminders stop', state: failing(1), input: event('paused', 'fev_pa'), atMs: 0, alerts: ['paused:event:fev_pa'], next: 'quiet' },
    { name: 'verification failed → notice', state: undefined, input: event('verification_failed', 'fev_v'), atMs: 0, alerts: ['verification_failed:event:fev_v'], next: 'quiet' },
    { name: 'same eventId again → ignored', state: failing(0, ['fev_p']), input: event('parked', 'fev_p'), atMs: 0, alerts: [], next: 'failing', duplicate: true },
    { name: 'a duplicate recovery is ignored too', state: { kind: 'quiet', recentEventIds: ['fev_r'] }, input: event('recovered', 'fev_r'), atMs: 0, alerts: [], next: 'quiet', duplicate: true },
  ];

  it.each(rows)('$name', ({ state, input, atMs, alerts, next, duplicate }) => {
    const decision = decideAlerts(state, input, clock(atMs));
    expect(decision.alerts.map((a) => `${a.kind}:${a.dedupeId}`)).toEqual(alerts);
    expect(decision.next.kind).toBe(next);
    expect(decision.duplicate).toBe(duplicate ?? false);
  });

  it('a parked event whose failures began long ago does not add a reminder to the first alert', () => {
    const d = decideAlerts(undefined, event('parked', 'fev_p'), clock(3 * hourMs + 5));
    expect(d.alerts.map((a) => a.kind)).toEqual(['first_alert']);
    expect(d.next).toMatchObject({ kind: 'failing', remindedSlot: 3 });
    expect(decideAlerts(d.next, { kind: 'tick' }, clock(4 * hourMs)).alerts.map((a) => a.reminderNumber)).toEqual([4]);
  });

  it('recovery resets: a new failing run gets a first alert and reminders counted from its own start', () => {
    let s = decideAlerts(undefined, event('parked', 'fev_1'), clock(0)).next;
    s = decideAlerts(s, event('recovered', 'fev_2'), clock(2 * hourMs)).next;
    const secondStart = new Date(startMs + 3 * hourMs).toISOString();
    const again = decideAlerts(s, event('parked', 'fev_3', { firstFailureAt: secondStart, at: secondStart }), clock(3 * hourMs));
    expect(again.alerts.map((a) => a.kind)).toEqual(['first_alert']);
    expect(decideAlerts(again.next, { kind: 'tick' }, clock(4 * hourMs - 1)).alerts).toEqual([]);
    const reminder = decideAlerts(again.next, { kind: 'tick' }, clock(4 * hourMs)).alerts[0];
    expect(reminder?.dedupeId).toBe(`reminder:sub_1:${startMs + 3 * hourMs}:1`);
  });

  it('reminders show the newest event of the run', () => {
    const s = decideAlerts(failing(0), event('still_failing', 'fev_9', { backlogSize: 900, lastError: 'connection refused' }), clock(10)).next;
    const reminder = decideAlerts(s, { kind: 'tick' }, clock(hourMs)).alerts[0];
    expect(reminder?.event).toMatchObject({ eventId: 'fev_9', backlogSize: 900, lastError: 'connection refused' });
  });

  it('the same reminder slot has the same id whichever instance or trigger decides it', () => {
    const byEvent = decideAlerts(failing(0), event('still_failing', 'fev_x'), clock(hourMs + 1)).alerts[0]?.dedupeId;
    const byTimer = decideAlerts(failing(0), { kind: 'tick' }, clock(hourMs + 500)).alerts[0]?.dedupeId;
    expect(byEvent).toBe(byTimer);
  });
});
