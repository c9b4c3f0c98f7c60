import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/topics/config.js';
import { desiredConfigs, planTopicChanges } from '../../../services/topics/plan-topic-changes.js';
import { topicCatalogue } from '../../../schemas/topics.js';
import { ConfigError } from '../../../services/shared/errors.js';

// The compose init job runs `npm run topics` with FLEETHOOK_TOPICS_REPLICATION_FACTOR and
// FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS.

describe('topics config: replication factor and min.insync.replicas', () => {
  it.each([
    [{}, 1, 1],
    [{ FLEETHOOK_TOPICS_REPLICATION_FACTOR: '3' }, 3, 2],
    [{ FLEETHOOK_TOPICS_REPLICATION_FACTOR: '3', FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS: '3' }, 3, 3],
    [{ FLEETHOOK_TOPICS_REPLICATION_FACTOR: '2' }, 2, 2],
    [{ FLEETHOOK_TOPICS_REPLICATION_FACTOR: '5', FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS: '1' }, 5, 1],
  ])('%j → RF %i, min ISR %i', (env, rf, minIsr) => {
    expect(loadConfig(env)).toMatchObject({ replicationFactor: rf, minInsyncReplicas: minIsr });
  });

  it.each([
    [{ FLEETHOOK_TOPICS_REPLICATION_FACTOR: '1', FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS: '2' }, /MIN_INSYNC_REPLICAS \(2\) must not exceed FLEETHOOK_TOPICS_REPLICATION_FACTOR \(1\)/],
    [{ FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS: '0' }, /FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS must be >= 1/],
    [{ FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS: 'two' }, /FLEETHOOK_TOPICS_MIN_INSYNC_REPLICAS must be an integer/],
  ])('rejects %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('puts the configured min.insync.replicas on every topic and rewrites a drifted one', () => {
    const topics = topicCatalogue({}).topics;
    for (const t of topics) expect(desiredConfigs(t, 3, 3)['min.insync.replicas']).toBe('3');
    const existing = new Map(topics.map((t) => [t.name, { partitions: t.partitions, configs: desiredConfigs(t, 3) }]));
    const actions = planTopicChanges(topics, existing, 3, 3);
    expect(actions.every((a) => a.kind === 'update-configs')).toBe(true);
    expect(actions[0]).toMatchObject({ changes: [{ name: 'min.insync.replicas', from: '2', to: '3' }] });
    expect(planTopicChanges(topics, existing, 3).every((a) => a.kind === 'unchanged')).toBe(true);
  });
});
