import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Reads an Avro schema from the repository's `schemas/` folder (the contracts), as
 * parsed JSON. Resolved from this file so it works from any working directory, both
 * from sources (tsx) and from `dist/` (where `schemas/*.avsc` are not copied).
 */
export function loadAvroSchema(schemaFile: string): Record<string, unknown> {
  const text = readFileSync(schemaPath(schemaFile), 'utf8');
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`schemas/${schemaFile} is not an Avro record schema`);
  }
  return parsed as Record<string, unknown>;
}

function schemaPath(schemaFile: string): string {
  const candidates = ['../../schemas/', '../../../schemas/'].map((dir) =>
    fileURLToPath(new URL(dir + schemaFile, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}
