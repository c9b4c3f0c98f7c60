import { describe, expect, it } from 'vitest';
import { parseChaosArgs } from '../../../test/chaos/chaos-args.js';
import { failoverFigures, percentile } from '../../../test/chaos/failover-latency.js';
import type { LatencySample } from '../../../test/chaos/failover-latency.js';

const sample = (recordTimeMs: number, latencyMs: number, maxWaitMs = 1_000): LatencySample => ({ recordTimeMs, receivedAt: recordTimeMs + latencyMs, maxWaitMs });

describe('failoverFigures', () => {
  it('judges p99 of the items recorded around a SIGKILL against 10 s', () => {
    const calm = Array.from({ length: 100 }, (_, i) => sample(i * 100, 500));
    const spike = Array.from({ length: 100 }, (_, i) => sample(50_000 + i * 100, i < 5 ? 12_000 : 800));
    const [whole, , kill] = failoverFigures([...calm, ...spike], [{ kind: 'kill', atMs: 50_000, label: 'kill' }]);
    expect(whole?.violation).toBe(false);
    expect(kill).toMatchObject({ samples: 100, p99Ms: 12_000, maxMs: 12_000, violation: true });
    const [, , fine] = failoverFigures(calm, [{ kind: 'kill', atMs: 5_000, label: 'kill' }]);
    expect(fine).toMatchObject({ p99Ms: 500, violation: false });
  });

  it('judges a SIGTERM by the latency beyond the batch window', () => {
    const within = Array.from({ length: 50 }, (_, i) => sample(10_000 + i * 100, 2_900, 1_000));
    expect(failoverFigures(within, [{ kind: 'term', atMs: 10_000, label: 'term' }])[2]).toMatchObject({ judgedMs: 1_900, violation: false });
    const over = within.map((s) => ({ ...s, receivedAt: s.receivedAt + 500 }));
    expect(failoverFigures(over, [{ kind: 'term', atMs: 10_000, label: 'term' }])[2]).toMatchObject({ judgedMs: 2_400, violation: true });
  });

  it('does not judge a window when the calm part of the run was already over half the limit (an overloaded machine), and says so', () => {
    const slow = Array.from({ length: 300 }, (_, i) => sample(i * 100, 6_000));
    const [, calm, kill] = failoverFigures(slow, [{ kind: 'kill', atMs: 25_000, label: 'kill' }]);
    expect(calm).toMatchObject({ p99Ms: 6_000, violation: false });
    expect(kill).toMatchObject({ p99Ms: 6_000, overloaded: true, violation: false });
    const spiky = slow.map((s) => (s.recordTimeMs >= 25_000 && s.recordTimeMs < 27_000 ? { ...s, receivedAt: s.recordTimeMs + 14_000 } : s));
    expect(failoverFigures(spiky, [{ kind: 'kill', atMs: 25_000, label: 'kill' }])[2]).toMatchObject({ overloaded: true, violation: false });
    // Calm below half the limit: judged, and the spike is a violation.
    const brisk = spiky.map((s) => (s.receivedAt - s.recordTimeMs === 6_000 ? { ...s, receivedAt: s.recordTimeMs + 4_000 } : s));
    expect(failoverFigures(brisk, [{ kind: 'kill', atMs: 25_000, label: 'kill' }])[2]).toMatchObject({ overloaded: false, violation: true });
  });

  it('does not judge a window that a load burst overlaps, and says so; a burst elsewhere changes nothing', () => {
    const calm = Array.from({ length: 300 }, (_, i) => sample(i * 100, 500, 1_000));
    const slowAfterTerm = calm.map((s) => (s.recordTimeMs >= 10_000 && s.recordTimeMs < 14_000 ? { ...s, receivedAt: s.recordTimeMs + 5_000 } : s));
    const term = [{ kind: 'term' as const, atMs: 10_000, label: 'term' }];
    expect(failoverFigures(slowAfterTerm, term, [{ startMs: 10_800, endMs: 15_500, multiplier: 8 }])[2]).toMatchObject({ loadBurst: true, overloaded: false, violation: false });
    expect(failoverFigures(slowAfterTerm, term, [{ startMs: 20_000, endMs: 23_000, multiplier: 8 }])[2]).toMatchObject({ loadBurst: false, violation: true });
    expect(failoverFigures(slowAfterTerm, term)[2]).toMatchObject({ loadBurst: false, violation: true });
  });

  it('does not judge a window that a broker stop overlaps, and keeps the calm baseline away from broker stops', () => {
    const calm = Array.from({ length: 400 }, (_, i) => sample(i * 100, 500));
    // A broker stop at 10-17 s slows everything recorded then; a SIGKILL at 12 s falls inside it.
    const slowed = calm.map((s) => (s.recordTimeMs >= 10_000 && s.recordTimeMs < 22_000 ? { ...s, receivedAt: s.recordTimeMs + 11_000 } : s));
    const kill = [{ kind: 'kill' as const, atMs: 12_000, label: 'kill' }];
    const [, quiet, judged] = failoverFigures(slowed, kill, [], [{ startMs: 10_000, endMs: 17_000 }]);
    expect(judged).toMatchObject({ brokerStop: true, violation: false });
    expect(quiet).toMatchObject({ label: 'calm (away from dispatcher faults and broker stops)', p99Ms: 500 });
    expect(failoverFigures(slowed, kill, [], [{ startMs: 30_000, endMs: 35_000 }])[2]).toMatchObject({ brokerStop: false, violation: true });
  });

  it('reports a window without items as such, not as a violation', () => {
    expect(failoverFigures([], [{ kind: 'kill', atMs: 0, label: 'k' }])[2]).toMatchObject({ samples: 0, violation: false });
    expect(percentile([], 99)).toBeNaN();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });
});

describe('parseChaosArgs', () => {
  it('needs a seed and defaults the rest', () => {
    expect(parseChaosArgs(['--seed', '7'])).toEqual({ kind: 'ok', args: { seed: 7, minutes: 1, cluster: false, vehicles: 30, drainSeconds: 90, faults: null, latencyAdvisory: false } });
    expect(parseChaosArgs(['--seed', '7', '--latency-advisory'])).toMatchObject({ kind: 'ok', args: { latencyAdvisory: true } });
    expect(parseChaosArgs(['--seed', '7', '--latency-advisory=yes']).kind).toBe('invalid');
    expect(parseChaosArgs(['--seed', '7', '--minutes', '0.5', '--cluster'])).toMatchObject({ kind: 'ok', args: { minutes: 0.5, cluster: true } });
  });

  it('reports every bad argument at once, by name', () => {
    const r = parseChaosArgs(['--minutes', 'lots', '--vehicles', '0']);
    expect(r.kind).toBe('invalid');
    if (r.kind === 'invalid') {
      expect(r.problems).toHaveLength(3);
      expect(r.problems.join('\n')).toMatch(/--seed is required[\s\S]*--minutes must be[\s\S]*--vehicles must be/);
    }
    expect(parseChaosArgs(['--seed', '-1']).kind).toBe('invalid');
    expect(parseChaosArgs(['--seed', '1.5']).kind).toBe('invalid');
    expect(parseChaosArgs(['--seed', '1', '--bogus'])).toMatchObject({ kind: 'invalid' });
    expect(parseChaosArgs(['--seed', '1', '--faults', 'endpoint,dispatcher-term'])).toMatchObject({ kind: 'ok', args: { faults: ['endpoint', 'dispatcher-term'] } });
    expect(parseChaosArgs(['--seed', '1', '--faults', 'endpoint,meteor'])).toMatchObject({ kind: 'invalid', problems: [expect.stringContaining('--faults must list')] });
    expect(parseChaosArgs(['--seed', '1', '--faults', ','])).toMatchObject({ kind: 'invalid' });
  });
});
