import fs from 'node:fs';
import { ensureRunning, inspectComponent, stopComponent, type ComponentState } from './component-runner.js';
import { stackHost } from './main-stack.js';
import type { StopOutcome } from './process-control.js';
import { prometheusComponent, prometheusPortFromEnv } from './prometheus-component.js';
import type { StackComponent } from './stack-component.js';
import type { StackPaths } from './stack-paths.js';
import type { UpResult } from './stack-control.js';

/**
 * The stack's optional Prometheus (`stack:up -- --with-prometheus`): not one of the main
 * components, so `stack:up` without the flag neither starts nor requires it; `stack:down`
 * always stops it when it runs.
 */
function component(paths: StackPaths): StackComponent {
  return prometheusComponent({ paths, host: stackHost, port: prometheusPortFromEnv() });
}

export async function prometheusUp(paths: StackPaths, options: { takeOver?: boolean } = {}): Promise<UpResult> {
  fs.mkdirSync(paths.run, { recursive: true });
  const c = component(paths);
  const outcome = await ensureRunning(paths.run, c, { takeOver: options.takeOver === true });
  return { ...outcome, name: c.name, endpoint: c.endpoint, logFile: c.logFile };
}

export function prometheusStatus(paths: StackPaths): Promise<ComponentState> {
  return inspectComponent(paths.run, component(paths));
}

export async function prometheusDown(paths: StackPaths): Promise<{ name: string; outcome: StopOutcome }> {
  return { name: 'prometheus', outcome: await stopComponent(paths.run, 'prometheus') };
}
