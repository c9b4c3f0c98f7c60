import { errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import type { LogLevel, Logger } from '../logger.js';
import { handleShutdownSignals } from './graceful-shutdown.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A started service: how to stop it, and what its "ready" line says. */
export interface RunningService {
  close(): Promise<void>;
  /** Printed once started as one JSON line `{"msg":"<name> ready",…}` that tests and scripts wait for. */
  readonly readyFields?: Readonly<Record<string, unknown>>;
}

export interface ServiceDefinition<C extends { readonly logLevel: LogLevel }> {
  /** `dispatcher`, `alerter`, …: the logger's service name and the start of every message. */
  readonly name: string;
  /** The service's `loadConfig(env)`: throws a ConfigError listing every problem by variable name. */
  readonly loadConfig: (env: Env) => C;
  /** How long a graceful shutdown may take before the process exits anyway. */
  readonly shutdownDeadlineMs: (config: C) => number;
  /** Builds the clients and starts the service; the only place besides `loadConfig` that sees the outside. */
  readonly start: (context: { readonly config: C; readonly logger: Logger }) => Promise<RunningService>;
}

/**
 * A programming error that escaped every handler (an exception thrown from a timer, a
 * rejected promise nobody awaited) leaves the service in an unknown state: it is logged as
 * one JSON line with its stack, and the process exits 1 at once so its supervisor restarts
 * it (every service resumes from Kafka after a crash). Without this, Node prints a bare
 * stack trace on stderr that no log pipeline parses.
 */
function exitOnFatalErrors(logger: Logger): void {
  const fatal = (what: string) => (err: unknown): void => {
    logger.error(`fatal: ${what}; exiting`, { err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined });
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
}

/**
 * One service main: load and validate the configuration first (every problem is printed,
 * by variable name, before anything connects), make the logger, start, print the ready
 * line, then shut down gracefully on SIGINT/SIGTERM within the deadline (a second signal
 * forces the exit). A failed start prints `<name> failed to start: <reason>` on stderr
 * and exits 1.
 */
export function runService<C extends { readonly logLevel: LogLevel }>(definition: ServiceDefinition<C>, env: Env = process.env): void {
  const failed = (err: unknown): void => {
    process.stderr.write(`${definition.name} failed to start: ${errorMessage(err)}\n`);
    process.exit(1);
  };
  const main = async (): Promise<void> => {
    const config = definition.loadConfig(env);
    const logger = createLogger(definition.name, { level: config.logLevel });
    exitOnFatalErrors(logger);
    const service = await definition.start({ config, logger });
    handleShutdownSignals({ close: () => service.close(), deadlineMs: definition.shutdownDeadlineMs(config), logger });
    if (service.readyFields !== undefined) process.stdout.write(`${JSON.stringify({ msg: `${definition.name} ready`, ...service.readyFields })}\n`);
  };
  main().catch(failed);
}
