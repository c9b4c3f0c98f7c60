import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRunning, stopComponent } from '../../stack/component-runner.js';
import { isPortOpen } from '../../stack/port-probe.js';
import type { StackComponent } from '../../stack/stack-component.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-start-retry-'));
const runDir = path.join(home, 'run');

afterAll(async () => {
  await stopComponent(runDir, 'flaky', 2_000);
  fs.rmSync(home, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A real process that dies at its first start-up (it leaves a file behind) and listens at
 * the second, like a JVM that exits once on a loaded machine.
 */
function flakyComponent(port: number, failures: number): StackComponent {
  const marker = path.join(home, `flaky-${port}`);
  const script = `
    const fs = require('node:fs');
    const counter = ${JSON.stringify(marker)} + '.starts';
    const starts = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
    fs.writeFileSync(counter, String(starts + 1));
    if (starts < ${failures}) { console.log('dying at start ' + (starts + 1)); process.exit(3); }
    require('node:net').createServer().listen(${port}, '127.0.0.1');
  `;
  return {
    name: 'flaky',
    host: '127.0.0.1',
    port,
    endpoint: `tcp://127.0.0.1:${port}`,
    logFile: path.join(home, 'logs', 'flaky.log'),
    marker,
    family: [marker],
    readyTimeoutMs: 10_000,
    prepare: async () => {},
    command: () => ({ command: process.execPath, args: ['-e', script, marker], logFile: path.join(home, 'logs', 'flaky.log'), cwd: home }),
    probe: () => isPortOpen('127.0.0.1', port),
  };
}

describe('stack start-up', () => {
  it('starts a component once more when it exits while starting', async () => {
    const port = await freePort();
    const outcome = await ensureRunning(runDir, flakyComponent(port, 1));
    expect(outcome.kind).toBe('started');
    expect(await isPortOpen('127.0.0.1', port)).toBe(true);
    expect(fs.readFileSync(path.join(home, 'logs', 'flaky.log'), 'utf8')).toContain('dying at start 1');
    await stopComponent(runDir, 'flaky', 2_000);
  });

  it('gives up after the second exit and says how the process ended', async () => {
    const port = await freePort();
    await expect(ensureRunning(runDir, flakyComponent(port, 2))).rejects.toThrow(/flaky exited \(pid \d+, exit code 3\)[\s\S]*dying at start 2/);
  });
});
