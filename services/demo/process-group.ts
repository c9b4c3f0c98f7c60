import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The demo's child processes: each line they print is prefixed with the child's name;
 * `stopAll()` sends SIGTERM (their graceful shutdown) and waits, then SIGKILLs stragglers.
 */
export class ProcessGroup {
  private readonly children = new Map<string, ChildProcess>();

  constructor(private readonly print: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  start(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const label = `[${name}]`.padEnd(13);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.print(`${label} ${line}`));
    }
    child.on('exit', (code, signal) => {
      this.children.delete(name);
      this.print(`${label} exited (${signal ?? `code ${code}`})`);
    });
    this.children.set(name, child);
    return child;
  }

  /** Resolves with the exit code when the named child exits. */
  exited(child: ChildProcess): Promise<number> {
    if (child.exitCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    const running = [...this.children.values()];
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
