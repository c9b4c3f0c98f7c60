import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../../..');
const servicesDir = join(root, 'services');
const portDir = join(servicesDir, 'shared', 'kafka');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** An import, re-export, dynamic import or require of the kafkajs package itself (type imports count). */
const importsKafkaJs = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]kafkajs(?:\/[^'"]*)?['"]/m;

describe('the Kafka port boundary', () => {
  it('no file under services/ outside services/shared/kafka/ imports kafkajs', () => {
    const offenders = sources(servicesDir)
      .filter((path) => !path.startsWith(portDir))
      .filter((path) => importsKafkaJs.test(readFileSync(path, 'utf8')))
      .map((path) => relative(root, path));
    expect(offenders).toEqual([]);
  });

  it('the check sees every way of importing kafkajs, and not the schema registry package', () => {
    for (const line of [
      "import { Kafka } from 'kafkajs';", "import type { Admin } from 'kafkajs';", 'import kafkajs from "kafkajs";',
      "export { Kafka } from 'kafkajs';", "const k = await import('kafkajs');", "const k = require('kafkajs');", "import 'kafkajs';",
      "import { x } from 'kafkajs/types';",
    ]) expect(importsKafkaJs.test(line), line).toBe(true);
    for (const line of [
      "import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';", '// kafkajs is CommonJS', "const name = 'kafkajs-x';",
    ]) expect(importsKafkaJs.test(line), line).toBe(false);
  });

  it('the adapter and its stand-ins for kafkajs internals are the files that do', () => {
    const inPort = sources(portDir).filter((path) => importsKafkaJs.test(readFileSync(path, 'utf8'))).map((path) => relative(root, path));
    expect(inPort).toEqual(['services/shared/kafka/kafkajs-adapter.ts', 'services/shared/kafka/kafkajs-internals.ts']);
  });
});
