import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../services/shared/errors.js';
import { EnvReader } from '../../../../services/shared/env-reader.js';
import { decideTopicWait, maxRetryDelayMs } from '../../../../services/shared/topic-wait/decide-topic-wait.js';
import { describeTopicProbe, type TopicProbe } from '../../../../services/shared/topic-wait/topic-probe.js';
import { readTopicWaitSettings, topicWaitDefaults } from '../../../../services/shared/topic-wait/topic-wait-config.js';

const settings = { maxWaitMs: 10_000, retryDelayMs: 200 };
const ready = (topic: string): TopicProbe => ({ kind: 'ready', topic, partitions: 12 });
const notLeader: TopicProbe = { kind: 'unreadable', topic: 'webhook.subscriptions', reason: 'This server is not the leader for that topic-partition' };
const missing: TopicProbe = { kind: 'missing', topic: 'webhook.failures' };

describe('decideTopicWait', () => {
  it('goes on once every topic is ready, whatever the time', () => {
    expect(decideTopicWait([ready('a'), ready('b')], 1, 0, settings)).toEqual({ kind: 'ready' });
    expect(decideTopicWait([ready('a')], 99, 60_000, settings)).toEqual({ kind: 'ready' });
    expect(decideTopicWait([], 1, 0, settings)).toEqual({ kind: 'ready' });
  });

  it.each([
    // attempt, elapsedMs, expected delay: doubling from retryDelayMs, capped, never past the deadline
    [1, 0, 200],
    [2, 300, 400],
    [3, 900, 800],
    [5, 3_000, 3_200],
    [6, 5_000, maxRetryDelayMs],
    [40, 5_000, maxRetryDelayMs],
    [7, 9_950, 50],
  ])('look %i at %i ms with a topic not ready: retry after %i ms', (attempt, elapsedMs, delayMs) => {
    const step = decideTopicWait([ready('a'), notLeader], attempt, elapsedMs, settings);
    expect(step).toEqual({ kind: 'retry', delayMs, waitingFor: [notLeader] });
  });

  it('gives up at the deadline, naming every topic not usable and why', () => {
    const step = decideTopicWait([notLeader, ready('a'), missing], 12, 10_000, settings);
    expect(step.kind).toBe('give-up');
    if (step.kind !== 'give-up') return;
    expect(step.notReady).toEqual([notLeader, missing]);
    expect(step.message).toContain('after waiting 10.0 s (12 looks)');
    expect(step.message).toContain('cannot read topic webhook.subscriptions: This server is not the leader for that topic-partition');
    expect(step.message).toContain('topic webhook.failures does not exist (`npm run topics` creates it)');
    expect(step.message).not.toContain('topic a');
  });

  it('with maxWaitMs 0 looks once and gives up at once', () => {
    const step = decideTopicWait([missing], 1, 0, { maxWaitMs: 0, retryDelayMs: 200 });
    expect(step).toMatchObject({ kind: 'give-up', message: expect.stringContaining('not usable at start-up') });
  });

  it('past the deadline (a slow last look) still gives up rather than retrying', () => {
    expect(decideTopicWait([missing], 3, 12_500, settings).kind).toBe('give-up');
  });
});

describe('describeTopicProbe', () => {
  it.each<[TopicProbe, string]>([
    [{ kind: 'ready', topic: 't', partitions: 3 }, 'topic t: ready (3 partitions)'],
    [{ kind: 'missing', topic: 't' }, 'topic t does not exist (`npm run topics` creates it)'],
    [{ kind: 'no-leader', topic: 't', partitions: [0, 4] }, 'topic t: partition(s) 0, 4 have no leader'],
    [{ kind: 'no-leader', topic: 't', partitions: [] }, "topic t has no partitions in the broker's metadata yet"],
    [{ kind: 'unreadable', topic: 't', reason: 'boom' }, 'cannot read topic t: boom'],
    [{ kind: 'unreachable', topic: 't', reason: 'Connection error: ECONNREFUSED' }, 'cannot ask the broker about topic t: Connection error: ECONNREFUSED'],
  ])('%j', (probe, line) => {
    expect(describeTopicProbe(probe)).toBe(line);
  });
});

describe('readTopicWaitSettings', () => {
  const read = (env: Record<string, string>): ReturnType<typeof readTopicWaitSettings> => {
    const r = new EnvReader(env, 'FLEETHOOK_');
    const settingsRead = readTopicWaitSettings(r);
    r.finish();
    return settingsRead;
  };

  it('defaults to a 60 s wait, and takes both variables', () => {
    expect(read({})).toEqual(topicWaitDefaults);
    expect(topicWaitDefaults.maxWaitMs).toBe(60_000);
    expect(read({ FLEETHOOK_TOPIC_WAIT_MS: '0', FLEETHOOK_TOPIC_WAIT_RETRY_MS: '50' })).toEqual({ maxWaitMs: 0, retryDelayMs: 50 });
  });

  it('reports every bad value by variable name', () => {
    let caught: unknown;
    try {
      read({ FLEETHOOK_TOPIC_WAIT_MS: 'soon', FLEETHOOK_TOPIC_WAIT_RETRY_MS: '0' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toEqual([
      'FLEETHOOK_TOPIC_WAIT_MS must be an integer, got "soon"',
      'FLEETHOOK_TOPIC_WAIT_RETRY_MS must be >= 10, got 0',
    ]);
  });
});
