import type { FleetModel } from './fleet-model.js';
import type { SimulatorArgs } from './simulator-args.js';
import type { TickRecords } from './vehicle-simulator.js';

export interface SimulationTotals {
  gps: number;
  dtc: number;
  events: number;
  valueBytes: number;
}

export interface SimulationSummary {
  readonly totals: SimulationTotals;
  readonly ticks: number;
  readonly elapsedMs: number;
  readonly stoppedEarly: boolean;
}

export interface SimulationIo {
  publish(batch: TickRecords): Promise<{ valueBytes: number }>;
  nowMs(): number;
  /** Resolves after `ms`, or early when the run is aborted. */
  sleep(ms: number): Promise<void>;
  write(line: string): void;
}

const maxRecordsPerBatch = 10_000;
const progressEveryMs = 1_000;

/**
 * The publishing loop: turns wall-clock time into fleet ticks (rate ticks per second),
 * publishes each batch and waits for its acknowledgement, catches up in larger batches
 * when behind, prints a progress line every second. With a duration it publishes exactly
 * duration × rate ticks; an abort stops it after the batch in flight.
 */
export async function runSimulation(model: FleetModel, args: SimulatorArgs, io: SimulationIo, signal: AbortSignal): Promise<SimulationSummary> {
  const tickIntervalMs = 1_000 / args.rate;
  const totalTicks = args.durationS === null ? Number.POSITIVE_INFINITY : Math.round(args.durationS * args.rate);
  const ticksPerBatch = Math.max(1, Math.floor(maxRecordsPerBatch / args.vehicles));
  const totals: SimulationTotals = { gps: 0, dtc: 0, events: 0, valueBytes: 0 };
  const startMs = io.nowMs();
  let ticks = 0;
  let lastProgress = { atMs: startMs, records: 0 };
  while (!signal.aborted && ticks < totalTicks) {
    const now = io.nowMs();
    const due = Math.min(totalTicks, Math.floor((now - startMs) / tickIntervalMs) + 1) - ticks;
    if (due <= 0) {
      await io.sleep(startMs + ticks * tickIntervalMs - now);
      continue;
    }
    const batch = collect(model, Math.min(due, ticksPerBatch));
    const { valueBytes } = await io.publish(batch);
    ticks += Math.min(due, ticksPerBatch);
    totals.gps += batch.gps.length;
    totals.dtc += batch.dtc.length;
    totals.events += batch.events.length;
    totals.valueBytes += valueBytes;
    const at = io.nowMs();
    if (at - lastProgress.atMs >= progressEveryMs) {
      const records = totals.gps + totals.dtc + totals.events;
      const behind = Math.max(0, Math.floor((at - startMs) / tickIntervalMs) + 1 - ticks);
      io.write(progressLine(at - startMs, ((records - lastProgress.records) * 1_000) / (at - lastProgress.atMs), totals, behind));
      lastProgress = { atMs: at, records };
    }
  }
  return { totals, ticks, elapsedMs: io.nowMs() - startMs, stoppedEarly: ticks < totalTicks };
}

function collect(model: FleetModel, ticks: number): TickRecords {
  const out: TickRecords = { gps: [], dtc: [], events: [] };
  for (let i = 0; i < ticks; i++) {
    const r = model.tick();
    for (const p of r.gps) out.gps.push(p);
    for (const d of r.dtc) out.dtc.push(d);
    for (const e of r.events) out.events.push(e);
  }
  return out;
}

function progressLine(elapsedMs: number, recordsPerS: number, t: SimulationTotals, ticksBehind: number): string {
  const secs = (elapsedMs / 1_000).toFixed(0).padStart(5);
  const lag = ticksBehind > 1 ? ` | behind by ${ticksBehind} ticks` : '';
  return `[${secs}s] ${Math.round(recordsPerS).toLocaleString('en-US')} records/s | telemetry.gps ${t.gps.toLocaleString('en-US')} ` +
    `telemetry.dtc ${t.dtc.toLocaleString('en-US')} telemetry.events ${t.events.toLocaleString('en-US')}${lag}`;
}

export function summaryLines(s: SimulationSummary, args: SimulatorArgs): string[] {
  const records = s.totals.gps + s.totals.dtc + s.totals.events;
  const secs = s.elapsedMs / 1_000;
  return [
    `${s.stoppedEarly ? 'stopped early' : 'done'}: ${records.toLocaleString('en-US')} records in ${secs.toFixed(1)}s ` +
      `(${Math.round(records / Math.max(secs, 0.001)).toLocaleString('en-US')} records/s), ${s.ticks} ticks of ${args.vehicles} vehicles`,
    `  telemetry.gps    ${s.totals.gps.toLocaleString('en-US')}`,
    `  telemetry.dtc    ${s.totals.dtc.toLocaleString('en-US')}`,
    `  telemetry.events ${s.totals.events.toLocaleString('en-US')}`,
    `  value bytes      ${s.totals.valueBytes.toLocaleString('en-US')} (${(s.totals.valueBytes / Math.max(records, 1)).toFixed(1)} per record)`,
    `  reproduce with   --seed ${args.seed} --start-time ${new Date(args.startTimeMs).toISOString()} --vehicles ${args.vehicles} ` +
      `--accounts ${args.accounts} --rate ${args.rate} --speedup ${args.speedup}`,
  ];
}
