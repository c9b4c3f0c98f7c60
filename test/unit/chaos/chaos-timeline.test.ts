import { describe, expect, it } from 'vitest';
import { describeFault, planTimeline } from '../../../test/chaos/chaos-timeline.js';
import type { PlannedFault, TimelineOptions } from '../../../test/chaos/chaos-timeline.js';
import { SeededRandom } from '../../../test/chaos/seeded-random.js';

const options = (seed: number, over: Partial<TimelineOptions> = {}): TimelineOptions => ({
  seed, faultPhaseMs: 60_000, dispatcherSlots: 2, cluster: false,
  endpoints: [{ index: 3, kind: 'gps' }, { index: 4, kind: 'gps' }, { index: 5, kind: 'dtc' }, { index: 6, kind: 'event' }],
  ...over,
});

const endOf = (f: PlannedFault): number => f.atMs + ('durationMs' in f ? f.durationMs : 0);

describe('seeded random', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => new SeededRandom(43).next())[0]).not.toBe(seqA[0]);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('keeps int() within its bounds, never picks from an empty list, and weighs choices', () => {
    const r = new SeededRandom(7);
    const ints = Array.from({ length: 1_000 }, () => r.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    expect(() => r.pick([])).toThrow(RangeError);
    const picks = Array.from({ length: 1_000 }, () => r.weighted({ never: 0, always: 1 }));
    expect(new Set(picks)).toEqual(new Set(['always']));
  });

  it('forks independent streams by label, reproducibly', () => {
    expect(new SeededRandom(1).fork('fleet').next()).toBe(new SeededRandom(1).fork('fleet').next());
    expect(new SeededRandom(1).fork('fleet').next()).not.toBe(new SeededRandom(1).fork('other').next());
  });
});

describe('planTimeline', () => {
  it('gives the same timeline for the same seed and another for another seed', () => {
    expect(planTimeline(options(5))).toEqual(planTimeline(options(5)));
    expect(planTimeline(options(6))).not.toEqual(planTimeline(options(5)));
  });

  it.each([1, 2, 3, 4, 5, 17, 99, 12_345])('seed %i: one SIGKILL and one SIGTERM per minute, spaced, and every fault over by the end of the phase', (seed) => {
    const t = planTimeline(options(seed));
    const stops = t.filter((f) => f.kind === 'dispatcher-kill' || f.kind === 'dispatcher-term');
    expect(stops.map((f) => f.kind).sort()).toEqual(['dispatcher-kill', 'dispatcher-term']);
    for (let i = 1; i < stops.length; i++) expect((stops[i] as PlannedFault).atMs - (stops[i - 1] as PlannedFault).atMs).toBeGreaterThanOrEqual(15_000);
    for (const f of t) {
      expect(f.atMs).toBeGreaterThanOrEqual(0);
      expect(endOf(f)).toBeLessThanOrEqual(60_000);
      if (f.kind === 'dispatcher-kill' || f.kind === 'dispatcher-term') expect([0, 1]).toContain(f.slot);
    }
    expect(t.map((f) => f.atMs)).toEqual([...t.map((f) => f.atMs)].sort((a, b) => a - b));
  });

  it.each([1, 2, 3, 8, 21, 1_000])('seed %i: endpoint faults hit only faultable endpoints, one at a time, 410 at most once, no broker stop without --cluster', (seed) => {
    const t = planTimeline(options(seed, { faultPhaseMs: 5 * 60_000 }));
    const byEndpoint = new Map<number, PlannedFault[]>();
    for (const f of t) if (f.kind === 'endpoint') byEndpoint.set(f.endpoint, [...(byEndpoint.get(f.endpoint) ?? []), f]);
    expect([...byEndpoint.keys()].every((i) => [3, 4, 5, 6].includes(i))).toBe(true);
    for (const list of byEndpoint.values()) for (let i = 1; i < list.length; i++) expect((list[i] as PlannedFault).atMs).toBeGreaterThan(endOf(list[i - 1] as PlannedFault));
    expect(t.filter((f) => f.kind === 'endpoint' && f.fault.kind === 'gone').length).toBeLessThanOrEqual(1);
    expect(t.filter((f) => f.kind === 'redis-flush').length).toBeLessThanOrEqual(2);
    expect(t.some((f) => f.kind === 'broker-stop')).toBe(false);
  });

  it('overlaps the first SIGKILL with a failing GPS endpoint, so a parked subscription loses its owner', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const t = planTimeline(options(seed));
      const kill = t.find((f) => f.kind === 'dispatcher-kill') as PlannedFault;
      const overlapping = t.filter((f) => f.kind === 'endpoint' && [3, 4].includes(f.endpoint) && (f.fault.kind === 'status' || f.fault.kind === 'throttle')
        && f.atMs <= kill.atMs - 3_000 && endOf(f) >= kill.atMs + 2_000);
      expect(overlapping.length, `seed ${seed}`).toBeGreaterThanOrEqual(1);
    }
  });

  it('stops brokers only in cluster mode, one at a time', () => {
    const stops = [1, 2, 3, 4, 5].flatMap((seed) => planTimeline(options(seed, { cluster: true, faultPhaseMs: 3 * 60_000 })).filter((f) => f.kind === 'broker-stop'));
    expect(stops.length).toBeGreaterThan(0);
    for (const s of stops) if (s.kind === 'broker-stop') expect([1, 2, 3]).toContain(s.nodeId);
  });

  it('describes each fault in one line', () => {
    expect(describeFault({ kind: 'endpoint', atMs: 0, endpoint: 3, durationMs: 7_200, fault: { kind: 'throttle', retryAfterS: 2 } })).toBe('endpoint 3: 429 Retry-After 2 for 7.2 s');
    expect(describeFault({ kind: 'dispatcher-kill', atMs: 0, slot: 1, restartAfterMs: 500 })).toBe('SIGKILL dispatcher 1, restart after 0.5 s');
  });
});
