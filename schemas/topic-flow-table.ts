import { retryTiers } from './retry-tiers.js';
import type { TopicCatalogue, TopicSpec } from './topics.js';

export const topicTableStart = '<!-- topic-flow-table: generated from schemas/topics.ts; `npx tsx services/topics/write-topic-table.ts` rewrites it -->';
export const topicTableEnd = '<!-- /topic-flow-table -->';

/**
 * The topic catalogue as a Markdown table, for ARCHITECTURE.md: each topic with its key,
 * the services that write it and those that read it. The retry tiers share one row.
 * Pure; a unit test checks that ARCHITECTURE.md holds exactly this text.
 */
export function topicFlowTable(catalogue: TopicCatalogue): string {
  const tierIds = new Set(retryTiers.map((t) => t.topic));
  const rows: string[] = [];
  let tiersDone = false;
  for (const t of catalogue.topics) {
    if (!tierIds.has(t.id)) {
      rows.push(row(`\`${t.id}\``, t, t.description));
    } else if (!tiersDone) {
      tiersDone = true;
      const first = retryTiers[0]?.topic ?? '';
      const last = retryTiers[retryTiers.length - 1]?.topic ?? '';
      rows.push(row(`\`${first}\` … \`${last}\` (${retryTiers.length} tiers)`, t, 'Failed requests (the head of a parked subscription) waiting for their next attempt.'));
    }
  }
  return [
    '| topic | key | written by | read by | what it holds |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function row(name: string, t: TopicSpec, description: string): string {
  const services = (list: readonly string[]): string => (list.length === 0 ? '— (kept for operators)' : list.join(', '));
  return `| ${name} | ${t.key} | ${services(t.writers)} | ${services(t.readers)} | ${description.replace(/\|/g, '\\|')} |`;
}

/** `document` with the text between the table markers replaced by `table`; null when the markers are missing. */
export function withTopicTable(document: string, table: string): string | null {
  const start = document.indexOf(topicTableStart);
  const end = document.indexOf(topicTableEnd);
  if (start < 0 || end < start) return null;
  return `${document.slice(0, start + topicTableStart.length)}\n${table}\n${document.slice(end)}`;
}
