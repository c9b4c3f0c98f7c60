import type { EnvReader } from '../env-reader.js';
import type { TopicWaitSettings } from './decide-topic-wait.js';

export const topicWaitDefaults: TopicWaitSettings = { maxWaitMs: 60_000, retryDelayMs: 250 };

/**
 * `FLEETHOOK_TOPIC_WAIT_MS` (how long a service waits at start-up for its topics' metadata
 * and partition leaders; 0 = look once) and `FLEETHOOK_TOPIC_WAIT_RETRY_MS` (the first
 * pause between looks). Read by every service's `loadConfig` on its `FLEETHOOK_` reader.
 */
export function readTopicWaitSettings(r: EnvReader, d: TopicWaitSettings = topicWaitDefaults): TopicWaitSettings {
  return {
    maxWaitMs: r.int('TOPIC_WAIT_MS', d.maxWaitMs, { min: 0, max: 600_000 }),
    retryDelayMs: r.int('TOPIC_WAIT_RETRY_MS', d.retryDelayMs, { min: 10, max: 60_000 }),
  };
}
