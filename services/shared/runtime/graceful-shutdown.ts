import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM';
export const shutdownSignals: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM'];

/** Where signals come from (the process; an EventEmitter in tests). */
export interface SignalSource {
  on(signal: ShutdownSignal, listener: () => void): unknown;
}

export interface GracefulShutdownOptions {
  /** Stops the service in order (stop fetching → finish or abandon in-flight work → commit → disconnect); idempotent. */
  readonly close: () => Promise<void>;
  /** How long `close` may take before the process exits anyway (exit code 1). */
  readonly deadlineMs: number;
  readonly logger: Logger;
  readonly signals?: SignalSource;
  readonly exit?: (code: number) => void;
}

/** Exit codes: 0 after a clean close; 1 when it failed, missed its deadline, or a second signal forced the exit. */
export const exitCodes = { clean: 0, failed: 1 } as const;

/**
 * The first SIGINT or SIGTERM starts `close()` with a deadline; the process exits 0 once it
 * resolves, 1 if it rejects or the deadline passes first. A second signal exits at once
 * (1): an operator pressing Ctrl-C twice means "now". Returns `shutdown`, which starts the
 * same sequence without a signal (a fatal error in the service).
 */
export function handleShutdownSignals(options: GracefulShutdownOptions): { shutdown(reason: string): void } {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  let started = false;
  let exited = false;
  const finish = (code: number): void => {
    if (exited) return;
    exited = true;
    exit(code);
  };
  const shutdown = (reason: string): void => {
    if (started) {
      logger.warn('second signal: exiting without waiting for the shutdown', { reason });
      return finish(exitCodes.failed);
    }
    started = true;
    logger.info('shutting down', { reason, deadlineMs: options.deadlineMs });
    const deadline = setTimeout(() => {
      logger.error('shutdown did not finish within its deadline; exiting', { deadlineMs: options.deadlineMs });
      finish(exitCodes.failed);
    }, options.deadlineMs);
    let closing: Promise<void>;
    try {
      closing = options.close();
    } catch (err) {
      closing = Promise.reject(err);
    }
    closing.then(
      () => {
        clearTimeout(deadline);
        logger.info('shut down');
        finish(exitCodes.clean);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        logger.error('shutdown failed', { err: errorMessage(err) });
        finish(exitCodes.failed);
      },
    );
  };
  for (const signal of shutdownSignals) signals.on(signal, () => shutdown(signal));
  return { shutdown };
}
