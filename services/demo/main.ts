import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { resolveStackPaths } from '../../stack/stack-paths.js';
import { stackPortsFromEnv } from '../../stack/stack-ports.js';
import { errorMessage } from '../shared/errors.js';
import { AdminClient, waitUntilListening } from './admin-client.js';
import { parseDemoArgs } from './demo-args.js';
import { seedDemoLandmarks } from './demo-landmarks.js';
import { createSubscription, deleteAllSubscriptions, demoSubscriptionSpecs } from './demo-subscriptions.js';
import { type ChildFailure, ProcessGroup, runToCompletion } from './process-group.js';

/**
 * `npm run demo`: the whole pipeline on the local Docker-free stack — stack up, topics,
 * admin API, sample receiver, dispatcher, deriver, scheduler, and the fleet simulator publishing
 * telemetry — with demo landmarks seeded and demo subscriptions created, verified and
 * tested through the admin API. Every request the receiver gets is printed with its
 * signature check. Ctrl-C stops it all.
 *
 * Ignition events come from the deriver only: the simulator runs with
 * `--derived-ignition`, so its devices do not also send their own (the events
 * subscription would otherwise get each transition twice, once per origin).
 */
const adminPort = 18_080;
const receiverPort = 19_000;
const dispatcherPort = 18_090;
const deriverPort = 18_190;
const schedulerPort = 18_195;
const tsx = 'node_modules/.bin/tsx';

async function main(): Promise<void> {
  const args = parseDemoArgs(process.argv.slice(2));
  const say = (line: string): void => void process.stdout.write(`[demo]        ${line}\n`);
  // Where the stack this demo starts listens (FLEETHOOK_STACK_*_PORT moves it); explicit client variables win.
  const ports = stackPortsFromEnv(process.env);
  const clients = {
    FLEETHOOK_KAFKA_BROKERS: process.env.FLEETHOOK_KAFKA_BROKERS ?? `127.0.0.1:${ports.kafka}`,
    FLEETHOOK_SCHEMA_REGISTRY_URL: process.env.FLEETHOOK_SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
    FLEETHOOK_REDIS_URL: process.env.FLEETHOOK_REDIS_URL ?? `redis://127.0.0.1:${ports.redis}`,
  };
  say('starting the local stack (the first run downloads Kafka, the registry and Redis from Maven Central)…');
  await runToCompletion('npm', ['run', '-s', 'stack:up']);
  await runToCompletion('npm', ['run', '-s', 'topics'], clients);

  // A fresh account key each run; the encryption key is kept in the stack's git-ignored
  // home, so subscriptions an interrupted earlier demo left behind can still be opened and removed.
  const apiKey = randomBytes(24).toString('base64url');
  const common = {
    ...clients,
    FLEETHOOK_SECRET_KEYS: `demo:${demoEncryptionKey()}`,
    // The simulator's vehicles belong to acc_0001 when it runs with --accounts 1.
    FLEETHOOK_ADMIN_ACCOUNT_KEYS: `acc_0001:${apiKey}`,
    FLEETHOOK_ADMIN_PORT: String(adminPort),
    FLEETHOOK_ADMIN_HOST: '127.0.0.1',
    // The sample receiver runs on this machine, so loopback over http is allowed here only.
    FLEETHOOK_ADMIN_ALLOW_HTTP: 'true',
    FLEETHOOK_ADMIN_ALLOW_ADDRESSES: '127.0.0.1/32',
    // Endpoint URLs may name only allowed ports (default 443, 80, 8443, 8080): add the receiver's.
    FLEETHOOK_ADMIN_ALLOWED_PORTS: `443,80,${receiverPort}`,
    FLEETHOOK_DISPATCHER_ALLOW_ADDRESSES: '127.0.0.1/32',
    FLEETHOOK_DISPATCHER_PORT: String(dispatcherPort),
    FLEETHOOK_DISPATCHER_HOST: '127.0.0.1',
  };
  const group = new ProcessGroup();
  const admin = new AdminClient(`http://127.0.0.1:${adminPort}`, apiKey);
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      group.markStopping();
      say('stopping…');
      await deleteAllSubscriptions(admin).catch(() => undefined);
      await group.stopAll();
    }
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(130));
  process.once('SIGTERM', () => void stop(143));
  // A child that dies ends the demo at once with its error, instead of a timeout later.
  group.onFailure((failure) => {
    say(`failed: ${describeFailure(failure)}`);
    void stop(1);
  });

  try {
    group.start('admin', tsx, ['services/admin-api/main.ts'], { ...common, FLEETHOOK_ADMIN_LOG_LEVEL: 'warn' });
    await admin.waitUntilReady(60_000);
    // The Webhook Manager: this run's key signs in (it lives only as long as the demo).
    say(`Webhook Manager: open http://127.0.0.1:${adminPort}/portal/ and sign in with the API key ${apiKey}`);
    const stale = await deleteAllSubscriptions(admin);
    if (stale > 0) say(`removed ${stale} subscription(s) left by an earlier demo`);
    const landmarks = await seedDemoLandmarks(admin);
    say(`landmarks for the derived landmark events: ${landmarks.ids.join(', ')} (${landmarks.created} created now, ${landmarks.ids.length - landmarks.created} kept from an earlier demo)`);

    const receiverUrl = `http://127.0.0.1:${receiverPort}`;
    const subscriptions = [];
    for (const spec of demoSubscriptionSpecs(receiverUrl)) subscriptions.push(await createSubscription(admin, spec));
    group.start('receiver', tsx, ['services/receiver/main.ts'], {
      FLEETHOOK_RECEIVER_PORT: String(receiverPort),
      FLEETHOOK_RECEIVER_SECRETS: subscriptions.map((s) => s.signingSecret).join(','),
    });
    // Verification needs the receiver up; on a busy machine it takes a few seconds to start.
    await waitUntilListening(receiverUrl, 60_000);

    for (const s of subscriptions) {
      const verified = await admin.call('POST', `/v1/subscriptions/${s.id}/verify`);
      say(`${s.name} (${s.id}): verification ${JSON.stringify(verified.result)}`);
    }
    const test = await admin.call('POST', `/v1/subscriptions/${subscriptions[0]!.id}/test`);
    say(`test event to ${subscriptions[0]!.name}: ${JSON.stringify(test)}`);

    group.start('dispatcher', tsx, ['services/dispatcher/main.ts'], { ...common, FLEETHOOK_DISPATCHER_LOG_LEVEL: 'warn' });
    group.start('deriver', tsx, ['services/deriver/main.ts'], {
      ...clients, FLEETHOOK_DERIVER_LOG_LEVEL: 'warn', FLEETHOOK_DERIVER_PORT: String(deriverPort), FLEETHOOK_DERIVER_HOST: '127.0.0.1',
    });
    // The scheduled subscription's slots (every minute) from the deriver's vehicle states.
    group.start('scheduler', tsx, ['services/scheduler/main.ts'], {
      ...clients, FLEETHOOK_SCHEDULER_LOG_LEVEL: 'warn', FLEETHOOK_SCHEDULER_PORT: String(schedulerPort), FLEETHOOK_SCHEDULER_HOST: '127.0.0.1',
    });
    const simulator = group.start('simulator', tsx, [
      'services/producer/simulator/main.ts',
      '--vehicles', String(args.vehicles),
      '--rate', String(args.rate),
      '--duration', String(args.durationS),
      '--seed', String(args.seed),
      '--accounts', '1',
      '--derived-ignition',
      // A few trouble codes a minute across the fleet, so the DTC subscription has something to deliver.
      '--dtc-per-hour', '120',
    ], clients, { finishes: true });
    const simulatorCode = await group.exited(simulator);
    say(`simulator finished (code ${simulatorCode}); waiting for the last batches…`);
    await new Promise((r) => setTimeout(r, 8_000));
    for (const s of subscriptions) {
      const status = await admin.call('GET', `/v1/subscriptions/${s.id}/status`);
      say(`${s.name}: ${JSON.stringify(status)}`);
    }
    await stop(simulatorCode);
  } catch (err) {
    say(`failed: ${errorMessage(err)}`);
    await stop(1);
  }
}

void main();

function describeFailure(failure: ChildFailure): string {
  const tail = failure.lastLines.length === 0 ? ' (it printed nothing)' : `; its last lines:\n    ${failure.lastLines.join('\n    ')}`;
  return `${failure.name} exited (${failure.how})${tail}`;
}

/** The demo's AES key, made once per stack home (`.stack/demo-encryption-key`, mode 0600). */
function demoEncryptionKey(): string {
  const file = path.join(resolveStackPaths().home, 'demo-encryption-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32).toString('base64');
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
