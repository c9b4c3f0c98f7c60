import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs' createTopics as patched by patches/kafkajs+2.2.4.patch, against a fake controller
// (a pure unit: no Kafka). Right after a topic is created, a KRaft broker whose metadata has
// not caught up answers "This server does not host this topic-partition"; kafkajs waited only
// through "no leader" and failed the creation (seen in the alerter tests' set-up on a fresh stack).
const require = createRequire(import.meta.url);
const createAdmin = require('kafkajs/src/admin/index.js') as (o: object) => { createTopics(o: object): Promise<boolean> };
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };

const unknownTopic = 3; // UNKNOWN_TOPIC_OR_PARTITION
const leaderNotAvailable = 5;
const topicAuthorization = 29; // TOPIC_AUTHORIZATION_FAILED

const quietLogger = { namespace: () => quietLogger, info() {}, warn() {}, error() {}, debug() {} };

/** An admin over one fake controller whose metadata answers fail with `errors` in turn, then succeed. */
function adminWith(errors: number[]) {
  const calls = { createTopics: 0, metadata: 0 };
  const broker = {
    async createTopics() { calls.createTopics++; },
    async metadata() {
      const code = errors[calls.metadata++];
      if (code !== undefined) throw createErrorFromCode(code);
      return { topicMetadata: [] };
    },
  };
  const cluster = { async refreshMetadata() {}, async findControllerBroker() { return broker; } };
  return { admin: createAdmin({ logger: quietLogger, cluster, retry: { retries: 0 } }), calls };
}

describe("kafkajs' createTopics waiting for leaders", () => {
  it('waits through "does not host this topic-partition" and "no leader" answers until the metadata names the topic', async () => {
    const { admin, calls } = adminWith([unknownTopic, unknownTopic, leaderNotAvailable, unknownTopic]);
    await expect(admin.createTopics({ topics: [{ topic: 't' }], waitForLeaders: true, timeout: 5_000 })).resolves.toBe(true);
    expect(calls).toEqual({ createTopics: 1, metadata: 5 });
  });

  it('still fails at once on an error that does not settle by waiting', async () => {
    const { admin, calls } = adminWith([unknownTopic, topicAuthorization]);
    await expect(admin.createTopics({ topics: [{ topic: 't' }], waitForLeaders: true, timeout: 5_000 })).rejects.toThrow(/authoriz/i);
    expect(calls.metadata).toBe(2);
  });

  it('gives up when the topic never settles, naming the wait', async () => {
    const { admin } = adminWith(Array.from({ length: 1_000 }, () => unknownTopic));
    await expect(admin.createTopics({ topics: [{ topic: 't' }], waitForLeaders: true, timeout: 600 })).rejects.toThrow(/waiting for topic leaders/);
  });
});
