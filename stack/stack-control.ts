import fs from 'node:fs';
import { FleethookError, errorMessage } from '../services/shared/errors.js';
import { ensureRunning, inspectComponent, stopComponent, type ComponentState, type EnsureOutcome } from './component-runner.js';
import { componentNames, mainComponents, type ComponentName } from './main-stack.js';
import type { StopOutcome } from './process-control.js';
import type { StackComponent } from './stack-component.js';
import { resolveStackPaths, type StackPaths } from './stack-paths.js';
import { stackPortsFromEnv, type StackPorts } from './stack-ports.js';

export interface StackOptions {
  readonly paths?: StackPaths;
  readonly ports?: StackPorts;
  /** Only these components (default: all of them). */
  readonly only?: readonly ComponentName[];
  /** See `EnsureOptions.takeOver`: for CI machines that may hold a leftover stack. */
  readonly takeOver?: boolean;
}

export interface UpResult extends EnsureOutcome {
  readonly name: string;
  readonly endpoint: string;
  readonly logFile: string;
}

function selected(opts: StackOptions): { paths: StackPaths; components: StackComponent[] } {
  const paths = opts.paths ?? resolveStackPaths();
  const all = mainComponents(paths, opts.ports ?? stackPortsFromEnv());
  const names = opts.only ?? componentNames;
  return { paths, components: names.map((n) => all[n]) };
}

/**
 * Starts what is not running and waits until every component answers. Safe to call again:
 * a component whose pid file names a live process is left alone.
 */
export async function stackUp(opts: StackOptions = {}): Promise<UpResult[]> {
  const { paths, components } = selected(opts);
  fs.mkdirSync(paths.run, { recursive: true });
  return runAll(components, async (c) => ({
    ...(await ensureRunning(paths.run, c, { takeOver: opts.takeOver === true })),
    name: c.name,
    endpoint: c.endpoint,
    logFile: c.logFile,
  }));
}

export async function stackStatus(opts: StackOptions = {}): Promise<ComponentState[]> {
  const { paths, components } = selected(opts);
  return Promise.all(components.map((c) => inspectComponent(paths.run, c)));
}

/** Stops only processes named by this stack's pid files: SIGTERM, then SIGKILL after a grace period. */
export async function stackDown(opts: StackOptions = {}): Promise<{ name: string; outcome: StopOutcome }[]> {
  const { paths, components } = selected(opts);
  return Promise.all(components.map(async (c) => ({ name: c.name, outcome: await stopComponent(paths.run, c.name) })));
}

/** Runs `task` for every component at once; reports every failure, not just the first. */
export async function runAll<T>(components: readonly StackComponent[], task: (c: StackComponent) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(components.map(task));
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${components[i]?.name}: ${errorMessage(s.reason)}`] : []));
  if (failures.length > 0) {
    throw new FleethookError('STACK_START_FAILED', failures.join('\n\n'));
  }
  return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
}
