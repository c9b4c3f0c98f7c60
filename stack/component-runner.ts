import { FleethookError } from '../services/shared/errors.js';
import { readLogTail } from './log-tail.js';
import { readPidRecord, removePidRecord, writePidRecord } from './pid-record.js';
import { findPortOwner, type PortOwner } from './port-owner.js';
import { isPortOpen } from './port-probe.js';
import { describeExit, isProcessAlive, spawnDetached, stopProcess, type SpawnedProcess, type StopOutcome } from './process-control.js';
import type { StackComponent } from './stack-component.js';
import { withStartLock } from './start-lock.js';
import { waitUntil } from './wait-until.js';

export interface ComponentState {
  readonly name: string;
  readonly up: boolean;
  readonly pid: number | undefined;
  readonly pidAlive: boolean;
  readonly portOpen: boolean;
  readonly endpoint: string;
  readonly logFile: string;
}

/** Up means: our pid file names a live process of ours AND its port accepts connections. */
export async function inspectComponent(runDir: string, c: StackComponent): Promise<ComponentState> {
  const record = readPidRecord(runDir, c.name);
  const pidAlive = record !== undefined && isProcessAlive(record.pid, record.marker);
  const host = record?.host ?? c.host;
  const port = record?.port ?? c.port;
  const portOpen = await isPortOpen(host, port);
  return {
    name: c.name,
    up: pidAlive && portOpen,
    pid: record?.pid,
    pidAlive,
    portOpen,
    endpoint: c.endpoint,
    logFile: record?.logFile ?? c.logFile,
  };
}

export interface EnsureOutcome {
  readonly kind: 'started' | 'already-running';
  readonly pid: number;
  readonly ms: number;
  /** A leftover copy from another stack home that `takeOver` stopped first. */
  readonly replaced?: PortOwner;
}

export interface EnsureOptions {
  /**
   * When the port is held by a fleethook copy of this component from another stack home
   * (a leftover from an earlier checkout on a CI machine), stop it and start ours.
   */
  readonly takeOver?: boolean;
}

/**
 * Starts the component unless a live process of ours already owns it, then waits until it
 * answers. Never starts a second copy; refuses when a stranger holds the port.
 */
export async function ensureRunning(runDir: string, c: StackComponent, options: EnsureOptions = {}): Promise<EnsureOutcome> {
  return withStartLock(runDir, c.name, c.readyTimeoutMs + 300_000, () => ensureRunningLocked(runDir, c, options));
}

async function ensureRunningLocked(runDir: string, c: StackComponent, options: EnsureOptions): Promise<EnsureOutcome> {
  const startedAtMs = Date.now();
  const record = readPidRecord(runDir, c.name);
  if (record !== undefined && isProcessAlive(record.pid, record.marker)) {
    await waitReady(c, record.pid);
    return { kind: 'already-running', pid: record.pid, ms: Date.now() - startedAtMs };
  }
  if (record !== undefined) removePidRecord(runDir, c.name);
  const replaced = await freePort(runDir, c, options.takeOver === true);
  await c.prepare();
  // A component that dies while starting is started once more: on a loaded CI machine the
  // registry's JVM was once seen to exit at start-up without a word, and started fine again.
  for (let attempt = 1; ; attempt += 1) {
    const child = await spawnDetached(c.command());
    writePidRecord(runDir, {
      component: c.name,
      pid: child.pid,
      host: c.host,
      port: c.port,
      marker: c.marker,
      logFile: c.logFile,
      startedAt: new Date().toISOString(),
    });
    try {
      await waitReady(c, child.pid, child);
    } catch (err) {
      const exit = child.exitInfo();
      if (exit === undefined || attempt >= START_ATTEMPTS) throw err;
      removePidRecord(runDir, c.name);
      console.error(`stack: ${c.name} exited while starting (${describeExit(exit)}); starting it again`);
      continue;
    }
    await c.afterReady?.();
    return { kind: 'started', pid: child.pid, ms: Date.now() - startedAtMs, ...(replaced ? { replaced } : {}) };
  }
}

const START_ATTEMPTS = 2;

async function freePort(runDir: string, c: StackComponent, takeOver: boolean): Promise<PortOwner | undefined> {
  if (!(await isPortOpen(c.host, c.port))) return undefined;
  const owner = findPortOwner(c.port);
  const ours = owner !== undefined && c.family.every((part) => owner.commandLine.includes(part));
  if (takeOver && owner !== undefined && ours) {
    await stopProcess(owner.pid, owner.commandLine.slice(0, 200));
    if (!(await isPortOpen(c.host, c.port))) return owner;
  }
  const who = owner === undefined ? 'another process' : `pid ${owner.pid} (${owner.commandLine.slice(0, 300)})`;
  const hint = ours ? '; it is a fleethook stack from another home: stop it with its own stack:down, or pass --take-over' : '';
  throw new FleethookError(
    'STACK_PORT_IN_USE',
    `${c.name}: ${c.host}:${c.port} is already in use by ${who}, which this stack did not start (no live pid file in ${runDir})${hint}`,
  );
}

async function waitReady(c: StackComponent, pid: number, child?: SpawnedProcess): Promise<void> {
  // The process we spawned reports its own exit; a pid file's process is checked by its marker.
  const alive = (): boolean => (child !== undefined ? child.exitInfo() === undefined : isProcessAlive(pid, c.marker));
  const outcome = await waitUntil(
    async () => {
      if (!alive()) return 'exited' as const;
      return (await c.probe()) ? ('ready' as const) : undefined;
    },
    { timeoutMs: c.readyTimeoutMs, intervalMs: 300 },
  );
  if (outcome === 'ready') return;
  const exit = child?.exitInfo();
  const how = exit === undefined ? '' : `, ${describeExit(exit)}`;
  const why = outcome === 'exited' ? `exited (pid ${pid}${how})` : `did not answer within ${c.readyTimeoutMs} ms (pid ${pid})`;
  throw new FleethookError(
    'STACK_START_FAILED',
    `${c.name} ${why}; log ${c.logFile}, last lines:\n${readLogTail(c.logFile, 30)}`,
  );
}

/** Stops it if our pid file names a live process of ours; removes the pid file. */
export async function stopComponent(runDir: string, name: string, graceMs?: number): Promise<StopOutcome> {
  const record = readPidRecord(runDir, name);
  if (record === undefined) return 'not-running';
  const outcome = await stopProcess(record.pid, record.marker, graceMs);
  removePidRecord(runDir, name);
  return outcome;
}
