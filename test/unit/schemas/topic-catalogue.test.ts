import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { retryTiers } from '../../../schemas/retry-tiers.js';
import { defaultPartitions, durableRetentionMs, topicCatalogue, valueSubject } from '../../../schemas/topics.js';

const sevenDaysMs = 7 * 86_400_000;

describe('topic catalogue', () => {
  const catalogue = topicCatalogue();

  it('declares the telemetry, dead-letter and webhook topics once each', () => {
    const names = catalogue.topics.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of ['telemetry.gps', 'telemetry.dtc', 'telemetry.events', 'telemetry.deadletter', 'webhook.subscriptions',
      'webhook.deliveries', 'webhook.parked', 'webhook.failures', 'webhook.audit', ...retryTiers.map((t) => t.topic)]) {
      expect(names).toContain(name);
    }
  });

  it('keys telemetry (and the deriver changelog and vehicle.state) by vehicleId, webhook topics by subscriptionId and the landmark registry by landmarkId', () => {
    const keyOf = (id: string): string => (id.startsWith('telemetry.') || id === 'deriver.vehicle-state' || id === 'vehicle.state' ? 'vehicleId' : id === 'fleet.landmarks' ? 'landmarkId' : 'subscriptionId');
    for (const t of catalogue.topics) expect(t.key, t.id).toBe(keyOf(t.id));
  });

  it('keeps the deriver changelog co-partitioned with telemetry.gps (restored per partition), also under overrides, and compacted', () => {
    for (const c of [catalogue, topicCatalogue({ partitions: { telemetry: 5 } })]) {
      expect(c.get('deriver.vehicle-state').partitions).toBe(c.get('telemetry.gps').partitions);
    }
    expect(catalogue.get('deriver.vehicle-state').configs['cleanup.policy']).toBe('compact');
    expect(catalogue.get('deriver.vehicle-state').configs['cleanup.policy']).not.toBe(catalogue.get('telemetry.gps').configs['cleanup.policy']);
  });

  it('keeps vehicle.state co-partitioned with the three telemetry topics (the state stage restores it per partition), also under overrides, and compacted', () => {
    for (const c of [catalogue, topicCatalogue({ partitions: { telemetry: 5 } })]) {
      for (const id of ['telemetry.gps', 'telemetry.dtc', 'telemetry.events']) expect(c.get('vehicle.state').partitions, id).toBe(c.get(id).partitions);
    }
    expect(catalogue.get('vehicle.state').configs).toMatchObject({ 'cleanup.policy': 'compact', 'retention.ms': '-1' });
  });

  it('keeps every webhook topic co-partitioned, also under overrides', () => {
    for (const c of [catalogue, topicCatalogue({ partitions: { webhook: 3 } })]) {
      const counts = new Set(c.topics.filter((t) => t.group === 'webhook').map((t) => t.partitions));
      expect(counts.size).toBe(1);
    }
    expect(catalogue.get('webhook.deliveries').partitions).toBe(defaultPartitions.webhook);
  });

  it('retains durable pipeline state longer than the 7-day retry window', () => {
    expect(durableRetentionMs).toBeGreaterThan(sevenDaysMs);
    for (const t of catalogue.topics) {
      const policy = t.configs['cleanup.policy'];
      expect(['delete', 'compact']).toContain(policy);
      // The delivery log is a record for owners, not pipeline state: its own retention (below).
      if (policy === 'delete' && t.id !== 'webhook.messages') expect(Number(t.configs['retention.ms'])).toBeGreaterThan(sevenDaysMs);
    }
    expect(catalogue.get('webhook.subscriptions').configs['cleanup.policy']).toBe('compact');
  });

  it('keeps the delivery log 7 days unless told otherwise, co-partitioned with the deliveries', () => {
    expect(catalogue.get('webhook.messages').configs).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': String(sevenDaysMs), 'max.message.bytes': String(3 * 1_048_576) });
    const longer = topicCatalogue({ messageLogRetentionMs: 30 * 86_400_000, partitions: { webhook: 5 } });
    expect(longer.get('webhook.messages').configs['retention.ms']).toBe(String(30 * 86_400_000));
    expect(longer.get('webhook.deliveries').configs).toEqual(catalogue.get('webhook.deliveries').configs);
    expect(longer.get('webhook.messages').partitions).toBe(longer.get('webhook.deliveries').partitions);
  });

  it('raises max.message.bytes to 3 MiB exactly on the topics that carry a whole request (a 1 MiB scheduled part, its ticket twice as long)', () => {
    const carrying = ['webhook.deliveries', ...retryTiers.map((t) => t.topic), 'webhook.parked', 'webhook.audit', 'webhook.messages'];
    for (const t of catalogue.topics) expect(t.configs['max.message.bytes'], t.id).toBe(carrying.includes(t.id) ? String(3 * 1_048_576) : undefined);
    expect(topicCatalogue({ messageLogRetentionMs: 86_400_000 }).get('webhook.messages').configs['max.message.bytes']).toBe(String(3 * 1_048_576));
  });

  it('orders retry tiers by the schedule in DESIGN.md §6', () => {
    expect(retryTiers.map((t) => t.name)).toEqual(['5m', '15m', '35m', '1h', '2h30m', '5h', '10h30m', '21h', '2d', 'daily']);
    for (const t of retryTiers) expect(t.topic).toBe(`webhook.retry.${t.name}`);
  });

  it('prefixes names, overrides partitions per group, and names subjects after the topic', () => {
    const test = topicCatalogue({ prefix: 'it-x.', partitions: { telemetry: 2 } });
    expect(test.get('telemetry.gps').name).toBe('it-x.telemetry.gps');
    expect(test.get('telemetry.gps').partitions).toBe(2);
    expect(test.get('webhook.parked').partitions).toBe(defaultPartitions.webhook);
    expect(valueSubject(test.get('telemetry.gps').name)).toBe('it-x.telemetry.gps-value');
    expect(() => test.get('telemetry.nope')).toThrow(/not in the catalogue/);
  });

  it('points every Avro topic at a parseable schema file with one record', () => {
    for (const t of catalogue.topics) {
      if (t.value.format !== 'avro') continue;
      const text = readFileSync(new URL(`../../../schemas/${t.value.schemaFile}`, import.meta.url), 'utf8');
      const type = avsc.Type.forSchema(JSON.parse(text) as avsc.Schema);
      expect(type.typeName).toBe('record');
      expect(type.name).toMatch(/^io\.fleethook\.telemetry\./);
    }
  });
});
