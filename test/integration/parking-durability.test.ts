import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack-paths.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { acceptedItems, failureEvents, range, sleep } from '../helpers/parking-checks.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';


/** 7 days in about 60 s: long enough for an owner to die and another to take over mid-schedule. */
const timeScale = 60_000 / (7 * 24 * 3_600_000);

/** An endpoint that answers 503 until `up` is set, recording what it accepted. */
async function flakyEndpoint(): Promise<{ receiver: WebhookReceiver; accepted: RecordedRequest[]; setUp: () => void }> {
  let up = false;
  const accepted: RecordedRequest[] = [];
  const receiver = await WebhookReceiver.start(behaviours.custom((req) => {
    if (!up) return { status: 503, body: 'down' };
    accepted.push(req);
    return { status: 200 };
  }));
  return { receiver, accepted, setUp: () => (up = true) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('parking survives the loss of its owner and of Redis (real stack, 7 days in ~60 s)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(timeScale) });
  });
  afterAll(async () => {
    if (process.env.DEBUG_DISPATCHER) console.log(h.logLines.join('\n'));
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('continues the schedule on a new owner after the owner is SIGKILLed mid-parking: nothing lost, order kept', async () => {
    const endpoint = await flakyEndpoint();
    receivers.push(endpoint.receiver);
    const sub = await h.subscribe({ url: endpoint.receiver.url, accountId: 'acc_kill', batching: { maxItems: 10, maxWaitMs: 200 } });
    const vehicles = ['veh_k1', 'veh_k2'];
    const publish = (seqs: number[]): Promise<void> => h.publish({ gps: seqs.flatMap((s) => vehicles.map((v) => gpsPoint(v, s, 'acc_kill'))) });

    const first = await h.startProcess();
    await publish(range(1, 20));
    await waitFor(async () => (await failureEvents(h, sub.id)).some((e) => e.kind === 'parked'), { timeoutMs: 60_000, intervalMs: 500, what: 'the parked event' });
    await publish(range(21, 40));
    await sleep(1_500);
    await h.kill(first, 'SIGKILL');
    const beforeKill = await failureEvents(h, sub.id);
    await publish(range(41, 50));

    const second = await h.startProcess();
    await publish(range(51, 60));
    // The new owner keeps retrying the same head on the same schedule before the endpoint comes back.
    await waitFor(async () => (await failureEvents(h, sub.id)).length >= beforeKill.length + 2, { timeoutMs: 30_000, intervalMs: 500, what: 'retries on the new owner' });
    endpoint.setUp();
    for (let s = 61; s <= 70; s++) {
      await publish([s]);
      await sleep(150);
    }
    const items = await waitFor(() => {
      const got = acceptedItems(endpoint.accepted);
      return got.length >= 140 && got;
    }, { timeoutMs: 60_000, what: '140 items at the recovered endpoint' }).catch((err: unknown) => {
      const got = acceptedItems(endpoint.accepted);
      throw new Error(`${String(err)}; got ${vehicles.map((v) => got.filter((d) => d.vehicleId === v).map((d) => d.seq).join(',')).join(' | ')}\n${second.output.join('').slice(-4_000)}`);
    });
    for (const v of vehicles) expect(items.filter((d) => d.vehicleId === v).map((d) => d.seq)).toEqual(range(1, 70));

    const events = await failureEvents(h, sub.id);
    // One episode: parked once, then retries whose count keeps rising across the kill, then recovered.
    expect(events.filter((e) => e.kind === 'parked')).toHaveLength(1);
    expect(events[events.length - 1]?.kind).toBe('recovered');
    const counts = events.filter((e) => e.kind === 'still_failing').map((e) => e.retryCount);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(new Set(counts).size).toBe(counts.length);
    expect(events.length).toBeGreaterThan(beforeKill.length + 1);
    // The next test's dispatcher must own every partition alone.
    await h.kill(second, 'SIGTERM');
  }, 180_000);

  it('a new owner resumes a drain where the SIGKILLed owner stopped: what was delivered is not delivered again, beyond the request in flight', async () => {
    // Slow once up (150 ms a request), so the owner dies in the middle of draining a 400-item backlog.
    let up = false;
    const accepted: RecordedRequest[] = [];
    const receiver = await WebhookReceiver.start(behaviours.custom(async (req) => {
      if (!up) return { status: 503, body: 'down' };
      await sleep(150);
      accepted.push(req);
      return { status: 200 };
    }));
    receivers.push(receiver);
    const sub = await h.subscribe({ url: receiver.url, accountId: 'acc_drainkill', batching: { maxItems: 10, maxWaitMs: 200 } });
    const vehicles = ['veh_d1', 'veh_d2'];
    const publish = (seqs: number[]): Promise<void> => h.publish({ gps: seqs.flatMap((s) => vehicles.map((v) => gpsPoint(v, s, 'acc_drainkill'))) });

    const first = await h.startProcess();
    await publish(range(1, 10));
    await waitFor(async () => (await failureEvents(h, sub.id)).some((e) => e.kind === 'parked'), { timeoutMs: 60_000, intervalMs: 500, what: 'the parked event' });
    await publish(range(11, 200));
    await sleep(2_000);
    up = true;
    await waitFor(() => acceptedItems(accepted).length >= 120, { timeoutMs: 60_000, what: 'the drain under way' });
    await h.kill(first, 'SIGKILL');
    const beforeKill = accepted.length;

    const second = await h.startProcess();
    await publish(range(201, 210));
    const items = await waitFor(() => {
      const got = acceptedItems(accepted);
      return got.length >= 420 && got;
    }, { timeoutMs: 90_000, what: '420 items at the endpoint' }).catch((err: unknown) => {
      throw new Error(`${String(err)}; got ${acceptedItems(accepted).length}\n${second.output.join('').slice(-4_000)}`);
    });
    for (const v of vehicles) expect(items.filter((d) => d.vehicleId === v).map((d) => d.seq)).toEqual(range(1, 210));
    // Every request is counted once per webhook-id above; repeats of a webhook-id are the requests in flight at the kill (one per vehicle at most).
    const ids = accepted.map((r) => r.headers['webhook-id'] as string);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(repeated.length, `requests repeated after the kill (accepted before it: ${beforeKill})`).toBeLessThanOrEqual(vehicles.length);
    await h.kill(second, 'SIGTERM');
  }, 240_000);

  it('loses nothing when Redis is wiped mid-parking and the dispatcher restarts with an empty Redis', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleethook-redis-wipe-'));
    const port = await freePort();
    const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
    const stack = (command: 'up' | 'down'): Promise<string> => new Promise((resolve) => {
      execFile(tsx, ['stack/cli.ts', command, '--only', 'redis'], {
        cwd: repoRoot, timeout: 60_000, env: { ...process.env, FLEETHOOK_STACK_HOME: home, FLEETHOOK_STACK_REDIS_PORT: String(port) },
      }, (err, stdout, stderr) => resolve(err ? `failed: ${stdout}${stderr}` : 'ok'));
    });
    expect(await stack('up')).toBe('ok');
    const redisUrl = `redis://127.0.0.1:${port}`;
    const redis = new Redis(redisUrl);
    try {
      const endpoint = await flakyEndpoint();
      receivers.push(endpoint.receiver);
      const sub = await h.subscribe({ url: endpoint.receiver.url, accountId: 'acc_wipe', batching: { maxItems: 10, maxWaitMs: 200 } });
      const publish = (seqs: number[]): Promise<void> => h.publish({ gps: seqs.map((s) => gpsPoint('veh_w', s, 'acc_wipe')) });
      const app = await h.startInProcess({ FLEETHOOK_REDIS_URL: redisUrl });
      await publish(range(1, 30));
      await waitFor(() => app.deliveries.parkedSubscriptions().get(sub.id) === 'parked', { timeoutMs: 60_000, what: 'parking' });
      await publish(range(31, 45));
      await sleep(1_000);
      expect((await redis.dbsize())).toBeGreaterThan(0);
      await redis.flushall();
      await app.close();
      await publish(range(46, 55));
      const again = await h.startInProcess({ FLEETHOOK_REDIS_URL: redisUrl });
      await waitFor(() => again.deliveries.parkedSubscriptions().get(sub.id) === 'parked', { timeoutMs: 60_000, what: 'the parking state rebuilt from Kafka' });
      await publish(range(56, 60));
      endpoint.setUp();
      const items = await waitFor(() => {
        const got = acceptedItems(endpoint.accepted);
        return got.length >= 60 && got;
      }, { timeoutMs: 60_000, what: '60 items at the recovered endpoint' });
      expect(items.map((d) => d.seq)).toEqual(range(1, 60));
    } finally {
      redis.disconnect();
      await stack('down');
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
