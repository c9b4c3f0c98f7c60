import { createKafkaClient } from '../kafka/kafkajs-adapter.js';
import { FleethookError } from '../errors.js';
import type { Logger } from '../logger.js';
import { decideTopicWait, type TopicWaitSettings } from './decide-topic-wait.js';
import { probeTopics } from './probe-topics.js';
import { describeTopicProbe } from './topic-probe.js';

export interface WaitForTopicsOptions {
  readonly brokers: readonly string[];
  /** The service's client id; the wait's own client appends `-topic-wait`. */
  readonly clientId: string;
  /** Broker names (prefix included) of every topic the service reads or writes. */
  readonly topics: readonly string[];
  readonly settings: TopicWaitSettings;
  readonly logger: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/**
 * A service's first step at start-up: returns once every topic it needs has metadata,
 * partition leaders and leaders that answer; throws `KAFKA_TOPICS_UNAVAILABLE` naming
 * each topic that is still not usable when `settings.maxWaitMs` has passed. Covers the
 * moment right after `npm run topics`, and a broker that is still starting.
 */
export async function waitForTopics(options: WaitForTopicsOptions): Promise<void> {
  const { topics, settings, logger } = options;
  // A client of its own with the client's logging off: each failed look would log an error
  // line per partition request; what matters is in the probes and ends up in our message.
  const kafka = createKafkaClient({ clientId: `${options.clientId}-topic-wait`, brokers: options.brokers });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const startedAt = now();
  for (let attempt = 1; ; attempt += 1) {
    const probes = await probeTopics(kafka, topics);
    const step = decideTopicWait(probes, attempt, now() - startedAt, settings);
    switch (step.kind) {
      case 'ready':
        if (attempt > 1) logger.info('kafka topics ready', { topics: topics.length, waitedMs: now() - startedAt, looks: attempt });
        return;
      case 'give-up':
        throw new FleethookError('KAFKA_TOPICS_UNAVAILABLE', step.message, { retriable: true });
      case 'retry':
        // Right after `npm run topics` a look or two is normal; say so only when it lasts.
        if (attempt === 3 || attempt % 10 === 0) {
          const [first] = step.waitingFor;
          logger.warn('waiting for kafka topics', {
            notReady: step.waitingFor.length, first: first === undefined ? null : describeTopicProbe(first),
            waitedMs: now() - startedAt, maxWaitMs: settings.maxWaitMs,
          });
        }
        await sleep(step.delayMs);
    }
  }
}
