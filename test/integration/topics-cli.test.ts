import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicCatalogue } from '../../schemas/topics.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const kafka = new Kafka({ clientId: 'topics-cli-test', brokers: [...stackEnv.kafkaBrokers], logLevel: logLevel.WARN });
const smallPartitions = { FLEETHOOK_TOPICS_TELEMETRY_PARTITIONS: '2', FLEETHOOK_TOPICS_DEADLETTER_PARTITIONS: '1', FLEETHOOK_TOPICS_WEBHOOK_PARTITIONS: '2' };
const prefixes: string[] = [];
let admin: Admin;

/** Runs the real `npm run topics` entry point with a test prefix; resolves with exit code and output. */
async function topicsScript(prefix: string, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env, ...smallPartitions, ...extraEnv,
    FLEETHOOK_TOPIC_PREFIX: prefix,
    FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
    FLEETHOOK_SCHEMA_REGISTRY_URL: stackEnv.registryUrl,
  };
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'services/topics/main.ts'], { cwd: root, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function newPrefix(): string {
  const prefix = `${uniqueName('it-topics')}.`;
  prefixes.push(prefix);
  return prefix;
}

describe('npm run topics', () => {
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    const names = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (names.length > 0) await admin.deleteTopics({ topics: names }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates every catalogue topic with its configs, and a second run changes nothing', async () => {
    const prefix = newPrefix();
    const catalogue = topicCatalogue({ prefix });
    const first = await topicsScript(prefix);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.match(/^created /gm)).toHaveLength(catalogue.topics.length);
    expect(first.stdout).toMatch(new RegExp(`schema  ${prefix}telemetry\\.gps-value → id \\d+`));

    const metadata = await admin.fetchTopicMetadata({ topics: [`${prefix}telemetry.gps`, `${prefix}webhook.retry.daily`] });
    expect(metadata.topics.map((t) => t.partitions.length)).toEqual([2, 2]);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: `${prefix}webhook.subscriptions` }],
    });
    const entries = Object.fromEntries(configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(entries['cleanup.policy']).toBe('compact');

    const second = await topicsScript(prefix);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toMatch(/^(created|updated) /m);
    expect(second.stdout.match(/^ok /gm)).toHaveLength(catalogue.topics.length);
  });

  it('puts drifted configs back', async () => {
    const prefix = newPrefix();
    expect((await topicsScript(prefix, { FLEETHOOK_TOPICS_REGISTER_SCHEMAS: 'false' })).code).toBe(0);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: kafkajs.ConfigResourceTypes.TOPIC, name: `${prefix}telemetry.dtc`, configEntries: [{ name: 'retention.ms', value: '60000' }] },
        // A deliveries topic created before scheduled parts took 1 MiB (issue 13): its record limit is raised.
        { type: kafkajs.ConfigResourceTypes.TOPIC, name: `${prefix}webhook.deliveries`, configEntries: [{ name: 'retention.ms', value: '691200000' }, { name: 'cleanup.policy', value: 'delete' }] },
      ],
    });
    const again = await topicsScript(prefix, { FLEETHOOK_TOPICS_REGISTER_SCHEMAS: 'false' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`updated ${prefix}telemetry\\.dtc: retention\\.ms 60000 → 691200000`));
    expect(again.stdout).toMatch(new RegExp(`updated ${prefix}webhook\\.deliveries: max\\.message\\.bytes 1048588 → 3145728`));
  });

  it('refuses, naming topic and both counts, when an existing topic has another partition count', async () => {
    const prefix = newPrefix();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${prefix}telemetry.gps`, numPartitions: 5, replicationFactor: 1 }] });
    const result = await topicsScript(prefix);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`topic ${prefix}telemetry\\.gps has 5 partitions on the broker but the catalogue .* says 2`));
    // Nothing else was created: the script stops before changing anything.
    expect((await admin.listTopics()).filter((t) => t.startsWith(prefix))).toEqual([`${prefix}telemetry.gps`]);
  });
});
