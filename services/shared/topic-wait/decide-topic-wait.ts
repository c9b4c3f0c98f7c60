import { describeTopicProbe, type TopicProbe } from './topic-probe.js';

export interface TopicWaitSettings {
  /** How long a service waits for its topics at start-up before it gives up; 0 = look once. */
  readonly maxWaitMs: number;
  /** The first pause between looks; it doubles up to `maxRetryDelayMs`. */
  readonly retryDelayMs: number;
}

export const maxRetryDelayMs = 5_000;

export type TopicWaitStep =
  | { readonly kind: 'ready' }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly waitingFor: readonly TopicProbe[] }
  | { readonly kind: 'give-up'; readonly message: string; readonly notReady: readonly TopicProbe[] };

/**
 * After look number `attempt` (1-based), `elapsedMs` into the wait: go on when every topic
 * is ready, else look again after a backoff that never passes the deadline, else give up
 * with a message that names every topic still not usable and why.
 */
export function decideTopicWait(
  probes: readonly TopicProbe[],
  attempt: number,
  elapsedMs: number,
  settings: TopicWaitSettings,
): TopicWaitStep {
  const notReady = probes.filter((p) => p.kind !== 'ready');
  if (notReady.length === 0) return { kind: 'ready' };
  const remainingMs = settings.maxWaitMs - elapsedMs;
  if (remainingMs <= 0) {
    const waited = settings.maxWaitMs === 0 ? 'at start-up' : `after waiting ${(elapsedMs / 1_000).toFixed(1)} s (${attempt} looks)`;
    return {
      kind: 'give-up',
      notReady,
      message: `Kafka topics not usable ${waited}:\n  - ${notReady.map(describeTopicProbe).join('\n  - ')}`,
    };
  }
  const backoffMs = Math.min(settings.retryDelayMs * 2 ** Math.min(attempt - 1, 20), maxRetryDelayMs);
  return { kind: 'retry', delayMs: Math.max(1, Math.min(backoffMs, remainingMs)), waitingFor: notReady };
}
