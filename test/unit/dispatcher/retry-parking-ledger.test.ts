import { describe, expect, it } from 'vitest';
import { ParkingLedger } from '../../../services/dispatcher/parking-ledger.js';

const sub = 'sub_a';
const other = 'sub_b';

describe('parking ledger: where items go around parking and draining', () => {
  it('parks newer items once, skips re-read ones, holds live items at the seam and releases them in order', () => {
    const l = new ParkingLedger();
    expect(l.route(sub, 10n)).toEqual({ kind: 'deliver' });
    expect(l.park(sub, 'pke_1', 12n)).toEqual({ kind: 'ok' });
    // Items of the head (≤ 12) re-read after a crash are skipped; newer ones go to the backlog.
    expect(l.route(sub, 12n)).toEqual({ kind: 'skip', reason: 'already parked' });
    expect(l.route(sub, 13n)).toEqual({ kind: 'park', episodeId: 'pke_1' });
    expect(l.parked(sub, 13n)).toEqual({ kind: 'ok' });
    expect(l.parked(sub, 13n).kind).toBe('stale');
    expect(l.route(other, 14n)).toEqual({ kind: 'deliver' });
    expect(l.stateOf(sub)).toEqual({ kind: 'parked', episodeId: 'pke_1', highWater: 13n, backlogSize: 1 });

    // A ticket of another episode cannot recover this one.
    expect(l.headRecovered(sub, 'pke_0').kind).toBe('stale');
    expect(l.headRecovered(sub, 'pke_1')).toEqual({ kind: 'ok' });
    // While draining, live items still go behind the backlog.
    expect(l.route(sub, 15n)).toEqual({ kind: 'park', episodeId: 'pke_1' });
    l.parked(sub, 15n);
    l.drainedItem(sub);
    expect(l.endMarkerWritten(sub, 'pke_1')).toEqual({ kind: 'ok' });
    // After the end marker: held in memory, not parked, not delivered.
    expect(l.route(sub, 16n)).toEqual({ kind: 'hold' });
    l.held(sub, 16n);
    l.held(sub, 17n);
    expect(l.parked(sub, 18n).kind).toBe('stale');
    expect(l.drained(sub, 'pke_1')).toEqual({ kind: 'live', release: [16n, 17n] });
    expect(l.route(sub, 18n)).toEqual({ kind: 'deliver' });
    expect(l.stateOf(sub)).toEqual({ kind: 'active' });
  });

  it('a failure during the drain makes a new head; items held at the seam are parked first', () => {
    const l = new ParkingLedger();
    l.park(sub, 'pke_1', 5n);
    l.parked(sub, 6n);
    l.headRecovered(sub, 'pke_1');
    l.endMarkerWritten(sub, 'pke_1');
    l.held(sub, 7n);
    expect(l.reparked(sub, 'pke_2')).toEqual({ kind: 'reparked', toPark: [7n] });
    expect(l.route(sub, 7n)).toEqual({ kind: 'park', episodeId: 'pke_2' });
    expect(l.parked(sub, 7n)).toEqual({ kind: 'ok' });
    expect(l.stateOf(sub)).toMatchObject({ kind: 'parked', episodeId: 'pke_2', highWater: 7n });
    expect(l.drained(sub, 'pke_1').kind).toBe('stale');
  });

  it('rejects transitions out of order', () => {
    const l = new ParkingLedger();
    expect(l.headRecovered(sub, 'pke_1').kind).toBe('stale');
    expect(l.endMarkerWritten(sub, 'pke_1').kind).toBe('stale');
    expect(l.held(sub, 1n).kind).toBe('stale');
    expect(l.reparked(sub, 'pke_1').kind).toBe('stale');
    l.park(sub, 'pke_1', 1n);
    expect(l.park(sub, 'pke_2', 2n).kind).toBe('stale');
    expect(l.endMarkerWritten(sub, 'pke_1').kind).toBe('stale');
    l.forget(sub);
    expect(l.route(sub, 2n)).toEqual({ kind: 'deliver' });
  });
});
