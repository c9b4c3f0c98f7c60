import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack-paths.js';
import { SmtpAlerterHarness } from '../helpers/smtp-alerter-harness.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
let home: string;
let smtpPort: number;
let webPort: number;
let h: SmtpAlerterHarness;

/** `stack:up|down --only smtp` on an isolated home and ports: the shared sink is never touched. */
function stack(command: 'up' | 'down'): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tsx, ['stack/cli.ts', command, '--only', 'smtp'], {
      cwd: repoRoot, timeout: 60_000,
      env: { ...process.env, FLEETHOOK_STACK_HOME: home, FLEETHOOK_STACK_SMTP_PORT: String(smtpPort), FLEETHOOK_STACK_SMTP_WEB_PORT: String(webPort) },
    }, (err, _stdout, stderr) => resolve({ code: err ? 1 : 0, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('alerter during an SMTP outage', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-smtp-outage-'));
    [smtpPort, webPort] = [await freePort(), await freePort()];
    expect((await stack('up')).code).toBe(0);
    h = await SmtpAlerterHarness.create({ FLEETHOOK_ALERTER_SMTP_PORT: String(smtpPort), FLEETHOOK_ALERTER_RETRY_MAX_MS: '500' });
    await h.startAlerter();
    await h.waitForAssignment(1);
  });
  afterAll(async () => {
    await h?.close();
    await stack('down');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('delays alerts while the SMTP server is down and delivers every one, once, after it returns', async () => {
    const sink = new SmtpSinkClient(`http://127.0.0.1:${webPort}`);
    const subs = ['sub_out_1', 'sub_out_2', 'sub_out_3', 'sub_out_4'];
    await h.produce(h.event('sub_out_0', 'parked'));
    await sink.waitFor(h.address('sub_out_0'), (ms) => ms.length === 1, 'an alert before the outage');

    expect((await stack('down')).code).toBe(0);
    await h.produce(...subs.map((s) => h.event(s, 'parked')), h.event('sub_out_0', 'deactivated', { discarded: { items: 5, topic: 'webhook.audit' } }));
    const metricsUrl = `http://127.0.0.1:${h.apps[0]?.port}/metrics`;
    const during = await waitForMetric(metricsUrl, /fleethook_alerter_emails_failed_total\{kind="(first_alert|deactivation)",reason="transient"\} ([3-9]|\d\d)/);
    expect(during).toMatch(/fleethook_alerter_paused_partitions [1-9]/);

    expect((await stack('up')).code).toBe(0);
    for (const s of subs) await sink.waitFor(h.address(s), (ms) => ms.length >= 1, `first alert for ${s} after the outage`, 20_000);
    await sink.waitFor(h.address('sub_out_0'), (ms) => ms.length >= 2, 'deactivation notice after the outage', 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const s of subs) expect((await sink.messages(h.address(s))).map((m) => m.subject.includes('is failing'))).toEqual([true]);
    expect((await sink.messages(h.address('sub_out_0'))).map((m) => m.subject.includes('deactivated'))).toEqual([false, true]);
  });
});

async function waitForMetric(url: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await fetch(url).then((r) => r.text());
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`metric ${pattern} not seen:\n${text.split('\n').filter((l) => l.startsWith('fleethook')).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
