import { describe, expect, it } from 'vitest';
import { FleetModel } from '../../../../services/producer/simulator/fleet-model.js';
import { runSimulation } from '../../../../services/producer/simulator/run-simulation.js';
import type { SimulatorArgs } from '../../../../services/producer/simulator/simulator-args.js';
import type { TickRecords } from '../../../../services/producer/simulator/vehicle-simulator.js';

const args: SimulatorArgs = { vehicles: 10, rate: 5, durationS: 3, seed: 1, accounts: 2, speedup: 1, startTimeMs: Date.UTC(2025, 0, 1), deviceIgnitionEvents: true, dtcPerHour: 0.3 };

function fakeIo(publishDelayMs = 0): { io: Parameters<typeof runSimulation>[2]; batches: TickRecords[]; lines: string[] } {
  let now = 0;
  const batches: TickRecords[] = [];
  const lines: string[] = [];
  return {
    batches,
    lines,
    io: {
      nowMs: () => now,
      sleep: async (ms) => {
        now += Math.max(ms, 1);
      },
      publish: async (batch) => {
        now += publishDelayMs;
        batches.push(batch);
        return { valueBytes: batch.gps.length * 100 };
      },
      write: (line) => lines.push(line),
    },
  };
}

describe('simulation loop', () => {
  it('publishes exactly duration × rate ticks of every vehicle and prints progress every second', async () => {
    const { io, batches, lines } = fakeIo();
    const model = new FleetModel({ ...args, stepMs: 200 });
    const summary = await runSimulation(model, args, io, new AbortController().signal);
    expect(summary.ticks).toBe(15);
    expect(summary.totals.gps).toBe(150);
    expect(batches.reduce((n, b) => n + b.gps.length, 0)).toBe(150);
    expect(summary.stoppedEarly).toBe(false);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/records\/s \| telemetry\.gps \d+ telemetry\.dtc \d+ telemetry\.events \d+/);
  });

  it('catches up in larger batches when publishing is slow, without losing ticks', async () => {
    const { io, batches } = fakeIo(700);
    const summary = await runSimulation(new FleetModel({ ...args, stepMs: 200 }), args, io, new AbortController().signal);
    expect(summary.totals.gps).toBe(150);
    expect(batches.length).toBeLessThan(15);
  });

  it('stops after the batch in flight when aborted', async () => {
    const { io } = fakeIo();
    const stop = new AbortController();
    const publish = io.publish;
    io.publish = async (batch) => {
      stop.abort();
      return publish(batch);
    };
    const summary = await runSimulation(new FleetModel({ ...args, stepMs: 200 }), { ...args, durationS: null }, io, stop.signal);
    expect(summary.ticks).toBe(1);
    expect(summary.stoppedEarly).toBe(true);
  });
});
