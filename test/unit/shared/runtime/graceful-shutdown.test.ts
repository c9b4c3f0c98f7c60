import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handleShutdownSignals } from '../../../../services/shared/runtime/graceful-shutdown.js';
import { createLogger } from '../../../../services/shared/logger.js';

interface Harness {
  readonly signals: EventEmitter;
  readonly exits: number[];
  readonly logs: string[];
  readonly closes: number;
  settle(err?: Error): void;
}

/** A service whose close() stays open until the test settles it. */
function harness(deadlineMs = 1_000): Harness & { shutdown(reason: string): void } {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const logs: string[] = [];
  let closes = 0;
  let settle: (err?: Error) => void = () => undefined;
  const close = (): Promise<void> => {
    closes++;
    return new Promise((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
  };
  const logger = createLogger('test', { level: 'debug', write: (l) => logs.push((JSON.parse(l) as { msg: string }).msg) });
  const { shutdown } = handleShutdownSignals({ close, deadlineMs, logger, signals, exit: (code) => exits.push(code) });
  return { signals, exits, logs, get closes() { return closes; }, settle: (err) => settle(err), shutdown };
}

describe('graceful shutdown on signals', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it.each(['SIGTERM', 'SIGINT'])('%s closes the service and exits 0 once it has closed', async (signal) => {
    const h = harness();
    h.signals.emit(signal);
    expect(h.closes).toBe(1);
    expect(h.exits).toEqual([]);
    h.settle();
    await vi.runAllTimersAsync();
    expect(h.exits).toEqual([0]);
    expect(h.logs).toEqual(['shutting down', 'shut down']);
  });

  it('a close that fails exits 1 and says so', async () => {
    const h = harness();
    h.signals.emit('SIGTERM');
    h.settle(new Error('commit refused'));
    await vi.runAllTimersAsync();
    expect(h.exits).toEqual([1]);
    expect(h.logs).toContain('shutdown failed');
  });

  it('a close that outlives the deadline exits 1 at the deadline, and its late end changes nothing', async () => {
    const h = harness(5_000);
    h.signals.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(4_999);
    expect(h.exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.exits).toEqual([1]);
    h.settle();
    await vi.runAllTimersAsync();
    expect(h.exits).toEqual([1]);
  });

  it('a second signal exits 1 at once, without a second close', async () => {
    const h = harness();
    h.signals.emit('SIGINT');
    h.signals.emit('SIGINT');
    expect(h.exits).toEqual([1]);
    expect(h.closes).toBe(1);
    h.settle();
    await vi.runAllTimersAsync();
    expect(h.exits).toEqual([1]);
  });

  it('a close that throws synchronously counts as failed', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    handleShutdownSignals({
      close: () => {
        throw new Error('not started');
      },
      deadlineMs: 1_000, logger: createLogger('test', { write: () => undefined }), signals, exit: (code) => exits.push(code),
    });
    signals.emit('SIGTERM');
    await vi.runAllTimersAsync();
    expect(exits).toEqual([1]);
  });

  it('shutdown() without a signal runs the same sequence; a signal after it forces the exit', async () => {
    const h = harness();
    h.shutdown('fatal consumer error');
    expect(h.closes).toBe(1);
    h.signals.emit('SIGTERM');
    expect(h.exits).toEqual([1]);
  });

  it('other signals are not handled', () => {
    const h = harness();
    h.signals.emit('SIGHUP');
    expect(h.closes).toBe(0);
    expect(h.exits).toEqual([]);
  });
});
