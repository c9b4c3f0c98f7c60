import fs from 'node:fs';
import path from 'node:path';

/** What `stack:up` remembers about a process it started: `<run>/<component>.pid.json`. */
export interface PidRecord {
  readonly component: string;
  readonly pid: number;
  readonly host: string;
  /** The port that answers when the component is up. */
  readonly port: number;
  /** A string in the process's command line, so a recycled pid is not mistaken for ours. */
  readonly marker: string;
  readonly logFile: string;
  readonly startedAt: string;
}

export function pidFilePath(runDir: string, component: string): string {
  return path.join(runDir, `${component}.pid.json`);
}

export function writePidRecord(runDir: string, record: PidRecord): void {
  fs.mkdirSync(runDir, { recursive: true });
  const file = pidFilePath(runDir, record.component);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

/** The record, or `undefined` when there is none or it cannot be read. */
export function readPidRecord(runDir: string, component: string): PidRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(pidFilePath(runDir, component), 'utf8'));
  } catch {
    return undefined;
  }
  return isPidRecord(parsed) ? parsed : undefined;
}

export function removePidRecord(runDir: string, component: string): void {
  fs.rmSync(pidFilePath(runDir, component), { force: true });
}

function isPidRecord(value: unknown): value is PidRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.component === 'string' &&
    typeof v.pid === 'number' &&
    typeof v.host === 'string' &&
    typeof v.port === 'number' &&
    typeof v.marker === 'string' &&
    typeof v.logFile === 'string' &&
    typeof v.startedAt === 'string'
  );
}
