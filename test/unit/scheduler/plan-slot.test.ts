import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/scheduler/config.js';
import { planSlot } from '../../../services/scheduler/plan-slot.js';
import type { SlotPlanInput } from '../../../services/scheduler/plan-slot.js';
import { slotParts, slotWrites } from '../../../services/scheduler/slot-parts.js';
import { decodeSlotRecord, encodeSlotRecord } from '../../../services/scheduler/slot-record.js';
import { decodeDeliveryItem } from '../../../services/shared/delivery-item.js';
import type { VehicleSnapshot } from '../../../services/shared/vehicles/vehicle-snapshot.js';

const t = (iso: string): number => Date.parse(iso);
const hourly = { every: 'hour' } as const;
const base: SlotPlanInput = { cadence: hourly, subscribedAtMs: t('2026-01-01T15:45:00Z'), last: undefined, nowMs: 0, lateRetryMs: 900_000, maxLatenessMs: 86_400_000 };

describe('planSlot: the next step of one scheduled subscription', () => {
  it.each([
    ['before the first boundary: wait for it', { nowMs: t('2026-01-01T15:59:59Z') }, { kind: 'wait', atMs: t('2026-01-01T16:00:00Z') }],
    ['at the first boundary after subscribing: claim it', { nowMs: t('2026-01-01T16:00:00Z') }, { kind: 'claim', slotMs: t('2026-01-01T16:00:00Z') }],
    ['within 15 minutes of it: still at once', { nowMs: t('2026-01-01T16:14:59Z') }, { kind: 'claim', slotMs: t('2026-01-01T16:00:00Z') }],
    ['later than 15 minutes: on the next quarter hour', { nowMs: t('2026-01-01T16:20:00Z') }, { kind: 'wait', atMs: t('2026-01-01T16:30:00Z') }],
    ['on that quarter hour: claim the late slot', { nowMs: t('2026-01-01T16:30:00Z') }, { kind: 'claim', slotMs: t('2026-01-01T16:00:00Z') }],
    ['after a written slot: the next one', { nowMs: t('2026-01-01T17:00:01Z'), last: { slotMs: t('2026-01-01T16:00:00Z'), state: 'written', offset: '7' } }, { kind: 'claim', slotMs: t('2026-01-01T17:00:00Z') }],
    ['a claimed slot without written: redo it under its claim', { nowMs: t('2026-01-01T19:00:00Z'), last: { slotMs: t('2026-01-01T16:00:00Z'), state: 'claimed', offset: '8' } }, { kind: 'redo', slotMs: t('2026-01-01T16:00:00Z'), claimOffset: '8' }],
    ['after a long outage: resume at the oldest slot within the lateness bound', { nowMs: t('2026-01-05T16:30:00Z'), last: { slotMs: t('2026-01-01T16:00:00Z'), state: 'written', offset: '9' } }, { kind: 'claim', slotMs: t('2026-01-04T17:00:00Z') }],
    // subscribedAtMs is liveSince when the subscription was paused or deactivated and went live again.
    ['resumed at 18:20 after a pause since 16:00: the next boundary, no slot from while it was off', { subscribedAtMs: t('2026-01-01T18:20:00Z'), nowMs: t('2026-01-01T18:20:01Z'), last: { slotMs: t('2026-01-01T16:00:00Z'), state: 'written', offset: '9' } }, { kind: 'wait', atMs: t('2026-01-01T19:00:00Z') }],
    ['resumed: the first slot after it is claimed at its boundary', { subscribedAtMs: t('2026-01-01T18:20:00Z'), nowMs: t('2026-01-01T19:00:00Z'), last: { slotMs: t('2026-01-01T16:00:00Z'), state: 'written', offset: '9' } }, { kind: 'claim', slotMs: t('2026-01-01T19:00:00Z') }],
  ] as const)('%s', (_name, change, expected) => {
    expect(planSlot({ ...base, ...change })).toEqual(expected);
  });
});

describe('slot records', () => {
  it('round-trip, and anything else is invalid with a reason', () => {
    const r = { subscriptionId: 'sub_1', slotMs: 60_000, state: 'written', claimOffset: '12' } as const;
    expect(decodeSlotRecord(Buffer.from(encodeSlotRecord(r)))).toEqual({ kind: 'record', record: r });
    for (const bad of ['nope', '[]', '{"v":2}', '{"v":1,"subscriptionId":"s","slotMs":1.5,"state":"claimed"}', '{"v":1,"subscriptionId":"s","slotMs":1,"state":"sent"}', '{"v":1,"subscriptionId":"s","slotMs":1,"state":"written","claimOffset":"-1"}']) {
      expect(decodeSlotRecord(Buffer.from(bad)).kind, bad).toBe('invalid');
    }
  });
});

const snap = (vehicleId: string, accountId: string, mode: 'live' | 'simulated' = 'live'): VehicleSnapshot => ({
  version: 1, vehicleId, accountId, mode, time: 1_000, gps: { time: 1_000, lat: 1, lon: 2, speedKmh: 10, headingDeg: 0, odometerKm: 5, ignition: true },
  activeDtcs: [], lastEventTimes: {}, applied: { partition: 0, gps: '1', dtc: null, events: null },
});

describe('slotParts: a slot as webhook.deliveries records', () => {
  const sub = { id: 'sub_1', accountId: 'acc_a', contentType: 'application/json', vehicleFilter: null, batching: { maxItems: 2, maxWaitMs: 0 }, source: { kind: 'scheduled', cadence: hourly, fields: ['speed'], units: 'metric' } } as const;
  const input = { sub, slotMs: 3_600_000, claimTopic: 'scheduler.slots', claimOffset: '41', nowMs: 5 };

  it('one record per part of at most maxItems, vehicles of the account by id, origin = the claim with partition = part', () => {
    const parts = slotParts({ ...input, snapshots: [snap('v3', 'acc_a', 'simulated'), snap('v1', 'acc_a'), snap('v9', 'acc_b'), snap('v2', 'acc_a')] });
    expect(parts.leftOut).toEqual([]);
    const items = parts.records.map((r) => decodeDeliveryItem(r.value as Buffer));
    expect(items.map((d) => (d.kind === 'item' ? [d.item.slot, d.item.origin, d.item.simulated ?? false, `[${d.item.dataJson}]`] : d.reason))).toEqual([
      [{ slotMs: 3_600_000, part: 0 }, { topic: 'scheduler.slots', partition: 0, offset: '41' }, false, '[{"vehicleId":"v1","accountId":"acc_a","mode":"live","time":"1970-01-01T00:00:01.000Z","speedKmh":10},{"vehicleId":"v2","accountId":"acc_a","mode":"live","time":"1970-01-01T00:00:01.000Z","speedKmh":10}]'],
      [{ slotMs: 3_600_000, part: 1 }, { topic: 'scheduler.slots', partition: 1, offset: '41' }, true, '[{"vehicleId":"v3","accountId":"acc_a","mode":"simulated","time":"1970-01-01T00:00:01.000Z","speedKmh":10}]'],
    ]);
    expect(parts.records.every((r) => r.key === 'sub_1')).toBe(true);
  });

  it('the vehicle filter narrows it; no vehicle, no record', () => {
    const filtered = slotParts({ ...input, sub: { ...sub, vehicleFilter: { vehicleIds: ['v2'] } }, snapshots: [snap('v1', 'acc_a'), snap('v2', 'acc_a')] });
    expect(filtered.records.length).toBe(1);
    expect(slotParts({ ...input, snapshots: [snap('v9', 'acc_b')] })).toEqual({ records: [], leftOut: [] });
  });

  it('writes the parts in order, in produce requests of at most 1 MiB (a 1 MiB part alone): one batch of a 3 MiB topic never holds several', () => {
    const record = (n: number, bytes: number): { key: string; value: Buffer } => ({ key: 'sub_1', value: Buffer.alloc(bytes, n) });
    const records = [record(0, 1_040_000), record(1, 1_040_000), record(2, 300_000), record(3, 300_000), record(4, 600_000)];
    const writes = slotWrites(records);
    expect(writes.map((w) => w.map((r) => records.indexOf(r as never)))).toEqual([[0], [1], [2, 3], [4]]);
    expect(slotWrites([])).toEqual([]);
  });

  it('a scheduled item without its slot is invalid on the dispatcher side', () => {
    const value = Buffer.from(`${JSON.stringify({ v: 2, subscriptionId: 's', kind: 'scheduled', vehicleId: 'v', seq: null, recordTimeMs: 1, origin: { topic: 't', partition: 0, offset: '1' } })}\n{}`);
    expect(decodeDeliveryItem(value)).toEqual({ kind: 'invalid', reason: 'slot malformed' });
  });
});

describe('scheduler config', () => {
  it('has defaults, and reports every bad variable by name', () => {
    expect(loadConfig({})).toMatchObject({ groupId: 'fleethook-scheduler', timeScale: 1, lateRetryMs: 900_000, tickMs: 1_000 });
    expect(() => loadConfig({ FLEETHOOK_SCHEDULER_TIME_SCALE: '0', FLEETHOOK_SCHEDULER_TICK_MS: 'soon', FLEETHOOK_SCHEDULER_SESSION_TIMEOUT_MS: '100' }))
      .toThrow(/FLEETHOOK_SCHEDULER_TIME_SCALE[\s\S]*FLEETHOOK_SCHEDULER_TICK_MS|FLEETHOOK_SCHEDULER_TICK_MS[\s\S]*FLEETHOOK_SCHEDULER_TIME_SCALE/);
    expect(() => loadConfig({ FLEETHOOK_SCHEDULER_MAX_LATENESS_MS: '60000', FLEETHOOK_SCHEDULER_LATE_RETRY_MS: '120000' })).toThrow(/FLEETHOOK_SCHEDULER_MAX_LATENESS_MS/);
  });
});
