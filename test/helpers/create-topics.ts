import type { Admin, ITopicConfig } from 'kafkajs';
import { waitFor } from './wait-for.js';

/**
 * `admin.createTopics({ waitForLeaders: true })`, again while the broker's metadata does not
 * know the new topics yet: kafkajs's wait for leaders retries only 'leader not available',
 * and a busy single broker sometimes answers 'This server does not host this
 * topic-partition' first. Creating again is harmless (an existing topic is left alone).
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<void> {
  await waitFor(() => admin.createTopics({ waitForLeaders: true, topics }).then(() => true), { timeoutMs, intervalMs: 300, what: `topics ${topics.map((t) => t.topic).join(', ')} with leaders` });
}
