import { describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../../../../services/producer/simulator/simulator-args.js';

const defaults = { nowMs: Date.UTC(2025, 0, 1), seed: 7 };

describe('simulator arguments', () => {
  it('reads the documented options', () => {
    const parsed = parseSimulatorArgs(
      ['--vehicles', '200', '--rate', '5', '--duration', '60', '--seed', '42', '--accounts', '4', '--start-time', '2025-06-01T00:00:00Z'],
      defaults,
    );
    expect(parsed).toEqual({
      kind: 'run',
      args: { vehicles: 200, rate: 5, durationS: 60, seed: 42, accounts: 4, speedup: 1, startTimeMs: Date.UTC(2025, 5, 1), deviceIgnitionEvents: true, dtcPerHour: 0.3 },
    });
  });

  it('--dtc-per-hour sets how many trouble codes each vehicle raises per hour; out of range is refused by name', () => {
    expect(parseSimulatorArgs(['--dtc-per-hour', '60'], defaults)).toMatchObject({ kind: 'run', args: { dtcPerHour: 60 } });
    expect(parseSimulatorArgs(['--dtc-per-hour', '0'], defaults)).toMatchObject({ kind: 'run', args: { dtcPerHour: 0 } });
    for (const bad of ['-1', '3601', 'many', '']) {
      const parsed = parseSimulatorArgs([`--dtc-per-hour=${bad}`], defaults);
      expect(parsed.kind, bad).toBe('invalid');
      if (parsed.kind === 'invalid') expect(parsed.problems.join(' ')).toContain('--dtc-per-hour must be a number from 0 to 3600');
    }
  });

  it('--derived-ignition turns the devices\' own ignition events off', () => {
    expect(parseSimulatorArgs(['--derived-ignition'], defaults)).toMatchObject({ kind: 'run', args: { deviceIgnitionEvents: false } });
  });

  it('defaults: one account per 50 vehicles, no duration, the given seed and start', () => {
    expect(parseSimulatorArgs(['--vehicles', '120'], defaults)).toMatchObject({
      kind: 'run',
      args: { vehicles: 120, accounts: 3, durationS: null, seed: 7, rate: 1, startTimeMs: defaults.nowMs },
    });
  });

  it.each([
    [['--vehicles', '0'], /--vehicles must be an integer from 1 to 100000, got "0"/],
    [['--vehicles', '2.5'], /--vehicles must be an integer/],
    [['--rate', '0'], /--rate must be a number above 0/],
    [['--rate', 'fast'], /--rate .* got "fast"/],
    [['--duration=-1'], /--duration must be a number of seconds above 0/],
    [['--seed', '1.5'], /--seed must be an integer/],
    [['--vehicles', '2', '--accounts', '3'], /--accounts \(3\) must not exceed --vehicles \(2\)/],
    [['--start-time', 'yesterday'], /--start-time must be an ISO 8601 time/],
    [['--vehicle', '3'], /Unknown option '--vehicle'/],
    [['--derived-ignition=yes'], /--derived-ignition/],
  ])('rejects %j clearly', (argv, message) => {
    const parsed = parseSimulatorArgs(argv, defaults);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.problems.join('\n')).toMatch(message);
  });

  it('reports every problem at once', () => {
    const parsed = parseSimulatorArgs(['--vehicles', 'x', '--rate=-2'], defaults);
    expect(parsed.kind === 'invalid' && parsed.problems).toHaveLength(2);
  });
});
