import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child that ended when it should not have: its name, how it ended and its last output lines. */
export interface ChildFailure {
  readonly name: string;
  readonly how: string;
  readonly lastLines: readonly string[];
}

export interface StartOptions {
  /** A child that finishes on its own (the simulator): only a non-zero exit is a failure. */
  readonly finishes?: boolean;
}

/** Whether a child's exit means the demo cannot go on. */
export function isChildFailure(exit: { code: number | null; finishes: boolean; stopping: boolean }): boolean {
  if (exit.stopping) return false;
  return !exit.finishes || exit.code !== 0;
}

const keptLines = 15;

/**
 * The demo's child processes: each line they print is prefixed with the child's name;
 * a child that dies while the demo needs it is reported at once to `onFailure` with its
 * last lines; `stopAll()` sends SIGTERM (their graceful shutdown) and waits, then SIGKILLs
 * stragglers.
 */
export class ProcessGroup {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;
  private failureListener: ((failure: ChildFailure) => void) | undefined;

  constructor(private readonly print: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  /** Called once per child that dies unexpectedly (see `isChildFailure`). */
  onFailure(listener: (failure: ChildFailure) => void): void {
    this.failureListener = listener;
  }

  start(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, options: StartOptions = {}): ChildProcess {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const label = `[${name}]`.padEnd(13);
    const lastLines: string[] = [];
    let streamsOpen = 2;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let reported = false;
    // Report only once both output streams are drained, so the child's last words are in `lastLines`.
    const settle = (): void => {
      if (exit === undefined || streamsOpen > 0 || reported) return;
      reported = true;
      const { code, signal } = exit;
      this.children.delete(name);
      const how = signal !== null ? `signal ${signal}` : `code ${code}`;
      this.print(`${label} exited (${how})`);
      if (isChildFailure({ code, finishes: options.finishes === true, stopping: this.stopping })) {
        this.failureListener?.({ name, how, lastLines });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => {
        this.print(`${label} ${line}`);
        lastLines.push(line);
        if (lastLines.length > keptLines) lastLines.shift();
      });
      lines.once('close', () => {
        streamsOpen -= 1;
        settle();
      });
    }
    child.once('error', (err) => {
      lastLines.push(`cannot start ${command}: ${err.message}`);
      exit ??= { code: null, signal: null };
      streamsOpen = 0;
      settle();
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      settle();
    });
    this.children.set(name, child);
    return child;
  }

  /** Resolves with the exit code when the named child exits. */
  exited(child: ChildProcess): Promise<number> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? 1);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  }

  /** From now on exits are expected (Ctrl-C reaches the children as well as the demo). */
  markStopping(): void {
    this.stopping = true;
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    this.markStopping();
    const running = [...this.children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    for (const child of running) child.kill('SIGTERM');
    const deadline = setTimeout(() => running.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), graceMs);
    await Promise.all(running.map((c) => this.exited(c)));
    clearTimeout(deadline);
  }
}

/** Runs a command to completion with inherited output; rejects on a non-zero exit. */
export function runToCompletion(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}
