import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topicCatalogue } from '../../schemas/topics.js';
import { adminTopicIds } from '../../services/admin-api/admin-app.js';
import { errorMessage } from '../../services/shared/errors.js';
import { createLogger } from '../../services/shared/logger.js';
import { SubscriptionCatalogue } from '../../services/shared/subscriptions/subscription-catalogue.js';
import { waitForTopics } from '../../services/shared/topic-wait/wait-for-topics.js';
import { repoRoot } from '../../stack/stack-paths.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';
import { createTopicsWithLeaders } from '../helpers/create-topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';

const kafka = new Kafka({ clientId: 'topic-wait-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.NOTHING });
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const logger = createLogger('topic-wait-test', { level: 'error', write: () => undefined });
const prefixes: string[] = [];
const children: ChildProcess[] = [];
let admin: Admin;

function newPrefix(): string {
  const prefix = `${uniqueName('it-wait')}.`;
  prefixes.push(prefix);
  return prefix;
}

/** Creates the admin API's two topics as `npm run topics` does, without its wait: the race the services must survive. */
async function createAdminTopics(prefix: string, partitions = 12): Promise<string[]> {
  const catalogue = topicCatalogue({ prefix });
  const specs = adminTopicIds.map((id) => catalogue.get(id));
  await createTopicsWithLeaders(admin, specs.map((s) => ({
    topic: s.name, numPartitions: partitions, replicationFactor: 1,
    configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
  })));
  return specs.map((s) => s.name);
}

interface Started {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number>;
}

/** Runs a service's real `main.ts` (its start path) with a test prefix. */
function startService(main: string, prefix: string, env: Record<string, string>): Started {
  const child = spawn(tsx, [main], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      FLEETHOOK_SCHEMA_REGISTRY_URL: stackEnv.registryUrl,
      FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
      FLEETHOOK_TOPIC_PREFIX: prefix,
      FLEETHOOK_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      ...env,
    },
  });
  children.push(child);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (l) => lines.push(l));
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  return { child, lines, exited };
}

function adminEnv(): Record<string, string> {
  return {
    FLEETHOOK_ADMIN_HOST: '127.0.0.1',
    FLEETHOOK_ADMIN_PORT: '0',
    FLEETHOOK_ADMIN_ACCOUNT_KEYS: 'acc_0001:topic-wait-test-key-0123456789',
    FLEETHOOK_ADMIN_LOG_LEVEL: 'info',
  };
}

/** The admin API logs its port once listening; then /readyz must answer 200 (catalogue loaded). */
async function adminBecomesReady(s: Started): Promise<void> {
  const port = await waitFor(
    () => {
      if (s.child.exitCode !== null) throw new Error(`admin API exited ${s.child.exitCode}:\n${s.lines.join('\n')}`);
      const line = s.lines.find((l) => l.includes('"admin API listening"'));
      return line === undefined ? undefined : (JSON.parse(line) as { port: number }).port;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the admin API to listen' },
  ).catch((err: unknown) => {
    throw new Error(`${errorMessage(err)}\n${s.lines.join('\n')}`);
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 30_000, what: '/readyz 200' });
}

describe('services wait for their topics at start-up', () => {
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  afterAll(async () => {
    const names = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (names.length > 0) await admin.deleteTopics({ topics: names }).catch(() => undefined);
    await admin.disconnect();
  });

  it('waitForTopics returns only once every leader answers: the catalogue then starts right after topic creation', async () => {
    for (let round = 0; round < 2; round += 1) {
      const prefix = newPrefix();
      const topics = await createAdminTopics(prefix);
      await waitForTopics({ brokers: stackEnv.kafkaBrokers, clientId: 'topic-wait-test', topics, settings: { maxWaitMs: 30_000, retryDelayMs: 50 }, logger });
      // The call that failed with "not the leader" before the wait existed.
      for (const topic of topics) expect(await admin.fetchTopicOffsets(topic)).toHaveLength(12);
      const catalogue = new SubscriptionCatalogue({ kafka: kafkaClientOf(kafka), topic: topics[0]!, logger, groupIdPrefix: `${prefix}catalogue` });
      try {
        await catalogue.start(20_000);
        expect(catalogue.ready()).toBe(true);
      } finally {
        await catalogue.close();
      }
    }
  });

  it('the admin API started right after its topics were created becomes ready', async () => {
    const prefix = newPrefix();
    await createAdminTopics(prefix);
    const s = startService('services/admin-api/main.ts', prefix, adminEnv());
    await adminBecomesReady(s);
  });

  it('the admin API started before its topics exist waits for them, then becomes ready', async () => {
    const prefix = newPrefix();
    const s = startService('services/admin-api/main.ts', prefix, { ...adminEnv(), FLEETHOOK_TOPIC_WAIT_RETRY_MS: '100' });
    // It says so once it has looked a few times and found nothing.
    const waiting = await waitFor(() => s.lines.find((l) => l.includes('"waiting for kafka topics"')), {
      timeoutMs: 60_000, intervalMs: 100, what: 'the admin API to report that it waits',
    });
    expect(waiting).toContain(`topic ${prefix}webhook.subscriptions does not exist`);
    expect(s.child.exitCode).toBeNull();
    await createAdminTopics(prefix);
    await adminBecomesReady(s);
    expect(s.lines.some((l) => l.includes('"kafka topics ready"'))).toBe(true);
  });

  it('a service whose topic never appears fails after the configured wait, naming the topic', async () => {
    const prefix = newPrefix();
    const s = startService('services/alerter/main.ts', prefix, {
      FLEETHOOK_TOPIC_WAIT_MS: '2000', FLEETHOOK_TOPIC_WAIT_RETRY_MS: '100', FLEETHOOK_ALERTER_LOG_LEVEL: 'warn',
    });
    const code = await Promise.race([s.exited, new Promise<number>((r) => setTimeout(() => r(-1), 45_000))]);
    const output = s.lines.join('\n');
    expect(code, output).toBe(1);
    expect(output).toContain('alerter failed to start: Kafka topics not usable after waiting');
    expect(output).toContain(`topic ${prefix}webhook.failures does not exist`);
  });

  it('a bad wait setting is reported by name before anything is tried', async () => {
    const s = startService('services/dispatcher/main.ts', newPrefix(), { FLEETHOOK_TOPIC_WAIT_MS: '-5' });
    expect(await s.exited).toBe(1);
    expect(s.lines.join('\n')).toContain('FLEETHOOK_TOPIC_WAIT_MS must be >= 0, got -5');
  });
});
