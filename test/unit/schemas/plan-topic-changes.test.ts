import { describe, expect, it } from 'vitest';
import { topicCatalogue } from '../../../schemas/topics.js';
import { describeMismatches, desiredConfigs, planTopicChanges } from '../../../services/topics/plan-topic-changes.js';
import type { ExistingTopic } from '../../../services/topics/plan-topic-changes.js';

const catalogue = topicCatalogue({ prefix: 'p.', partitions: { telemetry: 4 } });
const gps = catalogue.get('telemetry.gps');
const dtc = catalogue.get('telemetry.dtc');
const topics = [gps, dtc];

describe('planning topic changes', () => {
  it('creates missing topics with the catalogue configs and min.insync.replicas for the RF', () => {
    const [action] = planTopicChanges([gps], new Map(), 3);
    expect(action).toMatchObject({ kind: 'create', spec: { name: 'p.telemetry.gps', partitions: 4 } });
    expect(action?.kind === 'create' && action.configs).toMatchObject({ 'cleanup.policy': 'delete', 'min.insync.replicas': '2' });
    expect(desiredConfigs(gps, 1)['min.insync.replicas']).toBe('1');
  });

  it('changes nothing when the broker already matches (second run is harmless)', () => {
    const existing = new Map<string, ExistingTopic>(
      topics.map((t) => [t.name, { partitions: t.partitions, configs: desiredConfigs(t, 1) }]),
    );
    expect(planTopicChanges(topics, existing, 1).map((a) => a.kind)).toEqual(['unchanged', 'unchanged']);
  });

  it('updates drifted configs and says from what to what', () => {
    const existing = new Map<string, ExistingTopic>([
      [gps.name, { partitions: 4, configs: { ...desiredConfigs(gps, 1), 'retention.ms': '604800000' } }],
    ]);
    const [action] = planTopicChanges([gps], existing, 1);
    expect(action?.kind).toBe('update-configs');
    expect(action?.kind === 'update-configs' && action.changes).toEqual([
      { name: 'retention.ms', from: '604800000', to: gps.configs['retention.ms'] },
    ]);
  });

  it('reports a partition-count mismatch naming the topic and both counts', () => {
    const existing = new Map<string, ExistingTopic>([[gps.name, { partitions: 3, configs: {} }]]);
    const actions = planTopicChanges(topics, existing, 1);
    expect(actions.map((a) => a.kind)).toEqual(['partition-mismatch', 'create']);
    const [message] = describeMismatches(actions);
    expect(message).toMatch(/topic p\.telemetry\.gps has 3 partitions on the broker but the catalogue .* says 4/);
  });
});
