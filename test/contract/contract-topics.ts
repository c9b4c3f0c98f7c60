import { Kafka, logLevel } from 'kafkajs';
import { topicCatalogue } from '../../schemas/topics.js';
import { adminTopicIds } from '../../services/admin-api/admin-app.js';

/**
 * `tsx test/contract/contract-topics.ts create|delete <prefix>`: the topics an admin
 * API instance needs under a prefix of the contract run's own,
 * with the catalogue's configs; `delete` removes them afterwards.
 */
async function main(): Promise<void> {
  const [command, prefix] = process.argv.slice(2);
  if ((command !== 'create' && command !== 'delete') || !prefix) throw new Error('usage: contract-topics.ts create|delete <prefix>');
  const brokers = (process.env.FLEETHOOK_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const admin = new Kafka({ clientId: 'contract-topics', brokers, logLevel: logLevel.NOTHING }).admin();
  const specs = adminTopicIds.map((name) => topicCatalogue({ prefix }).get(name));
  await admin.connect();
  try {
    if (command === 'delete') {
      await admin.deleteTopics({ topics: specs.map((s) => s.name) });
      return;
    }
    // A fresh topic's leader can take a moment to reach the metadata ('not the leader'); creating again is harmless.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: specs.map((s) => ({ topic: s.name, numPartitions: 1, replicationFactor: 1, configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })) })),
        });
        for (const s of specs) await admin.fetchTopicOffsets(s.name);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`contract-topics: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
