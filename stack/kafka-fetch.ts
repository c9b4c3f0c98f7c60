import fs from 'node:fs';
import path from 'node:path';
import { dependencyGoal, fillAtomically, runMaven } from './maven-fetch.js';
import { kafkaLibsDir, type StackPaths } from './stack-paths.js';
import { stackVersions } from './stack-versions.js';

const kafkaPom = new URL('./kafka-pom.xml', import.meta.url).pathname;

/**
 * Ensures `<cache>/kafka/<version>/libs/` holds the broker and its runtime dependencies
 * (plus the log4j2 binding) from Maven Central. Returns the libs folder.
 */
export async function ensureKafkaLibs(paths: StackPaths, version: string = stackVersions.kafka): Promise<string> {
  const libs = kafkaLibsDir(paths, version);
  if (fs.existsSync(path.join(libs, `kafka_2.13-${version}.jar`))) return libs;
  await fillAtomically(libs, (tmp) =>
    runMaven(paths, [
      '-f',
      kafkaPom,
      `-Dkafka.version=${version}`,
      dependencyGoal('copy-dependencies'),
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
    ]),
  );
  return libs;
}
