import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminApp } from '../../services/admin-api/admin-app.js';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { loadConfig as loadAdminConfig } from '../../services/admin-api/config.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import type { DispatcherProcess } from '../helpers/dispatcher-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';

const key = 'alpha-key-0123456789abcdef';

/**
 * Rule 11 of ARCHITECTURE.md: a delivered request finishes only once its attempts are in
 * `webhook.messages`. The receiver SIGKILLs the dispatcher right after answering 2xx, while
 * requests of several subscriptions are in flight; whatever the interleaving, every request
 * the endpoint answered with a 2xx must be in the log as delivered once the next owner is done.
 */
describe('delivery log across a crash (child processes, real stack)', () => {
  let h: DispatcherHarness;
  let receiver: WebhookReceiver;
  let admin: AdminApp | undefined;

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_SESSION_TIMEOUT_MS: '6000' });
    receiver = await WebhookReceiver.start(behaviours.ok());
  });
  afterAll(async () => {
    await admin?.close();
    await receiver?.close();
    await h?.close();
  });

  it('every request answered 2xx before or around a SIGKILL is in the log as delivered', async () => {
    const a: DispatcherProcess = await h.startProcess();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'instance A ready' });
    const subs: Subscription[] = [];
    for (let i = 0; i < 4; i++) subs.push(await h.subscribe({ url: receiver.url, batching: { maxItems: 2, maxWaitMs: 50 } }));
    let answered = 0;
    receiver.behave(behaviours.custom(() => {
      // Kill A just after it gets its 6th 2xx: the answer is on the wire, the log write may not be.
      if (++answered === 6) setImmediate(() => void h.kill(a, 'SIGKILL'));
      return { status: 200 };
    }));
    const perSub = 6;
    await h.publish({ gps: Array.from({ length: perSub }, (_, seq) => subs.map((_s, i) => gpsPoint(`veh_crash${i}`, seq + 1))).flat() });
    await waitFor(() => a.child.exitCode !== null || a.child.signalCode !== null, { timeoutMs: 30_000, what: 'instance A killed' });
    await h.startProcess();
    // Every subscription matches every vehicle of the account: 4 × 4 vehicles × 6 points, in requests of one vehicle, 2 points each.
    const itemsSeen = (): number => new Set(receiver.requests.flatMap((r) => {
      const body = JSON.parse(r.text) as { subscriptionId: string; data: { vehicleId: string; seq: number }[] };
      return body.data.map((d) => `${body.subscriptionId}/${d.vehicleId}/${d.seq}`);
    })).size;
    await waitFor(() => itemsSeen() === perSub * subs.length * subs.length, { timeoutMs: 60_000, intervalMs: 250, what: 'every item at the receiver' });

    admin = await startAdminApp({
      config: loadAdminConfig({ ...h.env, FLEETHOOK_ADMIN_HOST: '127.0.0.1', FLEETHOOK_ADMIN_PORT: '0', FLEETHOOK_ADMIN_ACCOUNT_KEYS: `acc_alpha:${key}` }),
      kafka: kafkaClientOf(h.kafka), logger: createLogger('admin-api', { level: 'error', write: (l) => h.logLines.push(l) }),
    });
    const answeredIds = [...new Set(receiver.requests.map((r) => r.headers['webhook-id'] as string))];
    // The next owner sends a request whose 2xx it did not log again (same webhook-id) and logs it then: wait for the last of them.
    let absent: string[] = [];
    const missing = await waitFor(async () => {
      absent = [];
      for (const id of answeredIds) {
        const res = await fetch(`http://127.0.0.1:${admin?.port}/v1/messages/${id}`, { headers: { authorization: `Bearer ${key}` } });
        const m = (await res.json()) as { status?: string };
        if (res.status !== 200 || m.status !== 'delivered') absent.push(`${id}: ${res.status} ${m.status}`);
      }
      return absent.length === 0 ? [] : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'every answered request in the log' }).catch(() => absent);
    expect(missing).toEqual([]);
    const logged = await Promise.all(subs.map(async (s) => {
      const res = await fetch(`http://127.0.0.1:${admin?.port}/v1/subscriptions/${s.id}/messages?limit=100`, { headers: { authorization: `Bearer ${key}` } });
      return ((await res.json()) as { data: { webhookId: string }[] }).data.map((m) => m.webhookId);
    }));
    // Nothing logged that the endpoint did not get.
    expect(logged.flat().filter((id) => !answeredIds.includes(id))).toEqual([]);
    console.log(`delivery log across a crash: ${answeredIds.length} requests answered, ${receiver.requests.length} attempts at the receiver, all logged`);
  }, 150_000);
});
