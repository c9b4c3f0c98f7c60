import { setTimeout as sleep } from 'node:timers/promises';
import { connectTelemetryProducer } from '../connect-telemetry-producer.js';
import { loadConfig } from '../config.js';
import { errorMessage } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { FleetModel } from './fleet-model.js';
import { runSimulation, summaryLines } from './run-simulation.js';
import { parseSimulatorArgs, usage } from './simulator-args.js';

/** `npm run simulate -- --vehicles 200 --rate 5 --duration 60 [--seed 42]` */
async function main(): Promise<number> {
  const parsed = parseSimulatorArgs(process.argv.slice(2), {
    nowMs: Math.floor(Date.now() / 1_000) * 1_000,
    seed: Math.floor(Math.random() * 2 ** 31),
  });
  if (parsed.kind === 'help') return (console.log(usage), 0);
  if (parsed.kind === 'invalid') {
    console.error(`invalid arguments:\n  - ${parsed.problems.join('\n  - ')}\n\n${usage}`);
    return 2;
  }
  const { args } = parsed;
  const config = loadConfig(process.env);
  const logger = createLogger('simulator', { level: 'warn' });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) process.exit(130); // second Ctrl-C: give up on flushing
    console.log(`\n${signal}: stopping after the batch in flight, flushing…`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const producer = await connectTelemetryProducer(config, logger);
  const model = new FleetModel({ ...args, stepMs: (1_000 * args.speedup) / args.rate });
  console.log(
    `simulating ${args.vehicles} vehicles in ${args.accounts} accounts, ${args.rate} GPS points/vehicle/s, ` +
      `${args.durationS === null ? 'until stopped' : `${args.durationS}s`}, seed ${args.seed} → ${config.kafkaBrokers.join(',')}` +
      (config.topicPrefix === '' ? '' : ` (topic prefix ${config.topicPrefix})`),
  );
  try {
    const summary = await runSimulation(model, args, {
      publish: (batch) => producer.publish(batch),
      nowMs: () => performance.now(),
      sleep: (ms) => sleep(ms, undefined, { signal: stop.signal }).catch(() => undefined),
      write: (line) => console.log(line),
    }, stop.signal);
    await producer.close();
    for (const line of summaryLines(summary, args)) console.log(line);
    return 0;
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw err;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`simulator failed: ${errorMessage(err)}`);
    process.exitCode = 1;
  },
);
