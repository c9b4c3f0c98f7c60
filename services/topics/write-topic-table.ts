import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicFlowTable, withTopicTable } from '../../schemas/topic-flow-table.js';
import { topicCatalogue } from '../../schemas/topics.js';

/** `npx tsx services/topics/write-topic-table.ts`: rewrites the topic table in ARCHITECTURE.md from the catalogue. */
const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../ARCHITECTURE.md');
const updated = withTopicTable(readFileSync(file, 'utf8'), topicFlowTable(topicCatalogue()));
if (updated === null) {
  console.error(`${file} has no topic table markers`);
  process.exitCode = 1;
} else {
  writeFileSync(file, updated);
  console.log(`wrote the topic table to ${file}`);
}
