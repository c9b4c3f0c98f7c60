import fs from 'node:fs';
import path from 'node:path';
import { isPortOpen } from './port-probe.js';
import type { StackComponent } from './stack-component.js';
import { repoRoot, type StackPaths } from './stack-paths.js';

export interface SmtpComponentOptions {
  readonly paths: StackPaths;
  readonly host: string;
  /** SMTP (no TLS, any AUTH accepted). */
  readonly port: number;
  /** The JSON/HTML view of received messages. */
  readonly webPort: number;
}

const entry = path.join(repoRoot, 'stack', 'smtp-sink-main.ts');

/**
 * The SMTP sink (smtp-server + mailparser) as a process of its own: recipients containing
 * `reject` get 550, those containing `tempfail` get 451; received mail is kept in
 * `<data>/smtp/messages.jsonl` and shown on the web port.
 */
export function smtpComponent(opts: SmtpComponentOptions): StackComponent {
  const { paths, host, port, webPort } = opts;
  const dataDir = path.join(paths.data, 'smtp');
  const logFile = path.join(paths.logs, 'smtp.log');
  return {
    name: 'smtp',
    host,
    port,
    endpoint: `smtp://${host}:${port} (messages: http://${host}:${webPort}/)`,
    logFile,
    // The data folder is unique per stack home and is on the command line.
    marker: dataDir,
    family: ['stack/smtp-sink-main.ts', '--smtp-port'],
    readyTimeoutMs: 20_000,
    async prepare() {
      fs.mkdirSync(dataDir, { recursive: true });
    },
    command: () => ({
      command: process.execPath,
      args: ['--import', 'tsx', entry, '--host', host, '--smtp-port', String(port), '--web-port', String(webPort), '--data', dataDir],
      logFile,
      cwd: repoRoot,
    }),
    probe: async () => (await isPortOpen(host, port)) && (await webAnswers(host, webPort)),
  };
}

async function webAnswers(host: string, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}
