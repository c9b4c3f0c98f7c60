import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { retryTiers } from '../../../schemas/retry-tiers.js';
import { topicFlowTable, topicTableEnd, topicTableStart, withTopicTable } from '../../../schemas/topic-flow-table.js';
import { topicCatalogue, topicServices } from '../../../schemas/topics.js';
import type { TopicService } from '../../../schemas/topics.js';

const root = path.resolve(import.meta.dirname, '../../..');
const catalogue = topicCatalogue();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/**
 * The topics a service's code names: a catalogue id as a string literal (`topics.get('webhook.parked')`,
 * `kindByTopicId`), and every retry tier where it reads the schedule (`retryTiers`). Cheap and
 * conservative: it cannot tell a write from a read, but a service that stops using a topic, or
 * starts using one, without the catalogue saying so fails here.
 */
function topicsNamedBy(service: TopicService): Set<string> {
  const text = sources(path.join(root, 'services', service)).map((f) => readFileSync(f, 'utf8')).join('\n');
  const named = new Set(catalogue.topics.filter((t) => text.includes(`'${t.id}'`)).map((t) => t.id));
  if (/\bretryTiers\b/.test(text)) for (const t of retryTiers) named.add(t.topic);
  return named;
}

describe('the topic catalogue names who writes and who reads each topic', () => {
  it.each(topicServices.map((s) => [s]))('%s: the topics its code names are exactly those the catalogue lists it for', (service) => {
    expect(existsSync(path.join(root, 'services', service, 'main.ts')) || existsSync(path.join(root, 'services', service, 'index.ts'))).toBe(true);
    const listed = catalogue.topics.filter((t) => t.writers.includes(service) || t.readers.includes(service)).map((t) => t.id).sort();
    expect([...topicsNamedBy(service)].sort()).toEqual(listed);
  });

  it('every topic has a writer; a topic with readers is one some service writes; no service is listed twice', () => {
    for (const t of catalogue.topics) {
      expect(t.writers.length, t.id).toBeGreaterThan(0);
      expect(new Set(t.writers).size, t.id).toBe(t.writers.length);
      expect(new Set(t.readers).size, t.id).toBe(t.readers.length);
    }
  });

  it('the telemetry producer writes only telemetry, and only the dispatcher writes the pipeline state it reads back', () => {
    for (const t of catalogue.topics) {
      if (t.writers.includes('producer')) expect(t.group, t.id).toBe('telemetry');
      if (retryTiers.map((r) => r.topic).includes(t.id)) expect(t, t.id).toMatchObject({ writers: ['dispatcher'], readers: ['dispatcher'] });
    }
    // The scheduler adds scheduled slots to the deliveries; only the dispatcher reads them.
    expect(catalogue.get('webhook.deliveries')).toMatchObject({ writers: ['dispatcher', 'scheduler'], readers: ['dispatcher'] });
    // One exception: recoveries (admin API) — records the dispatcher ignores until their marker (parked-record.ts).
    expect(catalogue.get('webhook.parked')).toMatchObject({ writers: ['dispatcher', 'admin-api'], readers: ['dispatcher'] });
  });
});

describe('the topic table in ARCHITECTURE.md', () => {
  it('is the one generated from the catalogue (`npx tsx services/topics/write-topic-table.ts` rewrites it)', () => {
    const doc = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');
    const table = topicFlowTable(catalogue);
    expect(doc.slice(doc.indexOf(topicTableStart) + topicTableStart.length, doc.indexOf(topicTableEnd)).trim()).toBe(table);
  });

  it('lists every topic once (the retry tiers in one row), naming only real services', () => {
    const lines = topicFlowTable(catalogue).split('\n').slice(2);
    const tierIds = new Set(retryTiers.map((t) => t.topic));
    for (const t of catalogue.topics.filter((c) => !tierIds.has(c.id))) expect(lines.filter((l) => l.startsWith(`| \`${t.id}\` |`)), t.id).toHaveLength(1);
    expect(lines.filter((l) => l.includes(`(${retryTiers.length} tiers)`))).toHaveLength(1);
    expect(lines).toHaveLength(catalogue.topics.length - retryTiers.length + 1);
    for (const line of lines) {
      const [, , writers, readers] = line.split(' | ');
      for (const name of `${writers}, ${readers}`.split(', ').filter((n) => !n.startsWith('—'))) expect(topicServices).toContain(name);
    }
  });

  it('replaces only the text between its markers, and refuses a document without them', () => {
    const doc = `intro\n${topicTableStart}\nold\n${topicTableEnd}\nrest`;
    expect(withTopicTable(doc, 'new')).toBe(`intro\n${topicTableStart}\nnew\n${topicTableEnd}\nrest`);
    expect(withTopicTable('no markers', 'new')).toBeNull();
    expect(withTopicTable(`${topicTableEnd}\n${topicTableStart}`, 'new')).toBeNull();
  });
});
