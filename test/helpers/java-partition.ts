import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStackPaths } from '../../stack/stack-paths.js';

/**
 * Asks the real Java Kafka client which partition it would choose for each key:
 * `BuiltInPartitioner.partitionForKey` (murmur2 → toPositive → % numPartitions), what
 * the Java producer's default partitioning does for keyed records. Runs a single-file
 * Java program against the Kafka jars the stack downloaded.
 */
const source = `
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;

public class Partition {
  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[0]);
    for (int i = 1; i < args.length; i++) {
      byte[] key = args[i].getBytes(StandardCharsets.UTF_8);
      int viaPartitioner = BuiltInPartitioner.partitionForKey(key, partitions);
      int viaUtils = Utils.toPositive(Utils.murmur2(key)) % partitions;
      if (viaPartitioner != viaUtils) throw new IllegalStateException("partitioner and murmur2 disagree for " + args[i]);
      System.out.println(viaPartitioner);
    }
  }
}
`;

/** The Kafka `libs/` folder under the stack's `cache/kafka/<version>/` (FLEETHOOK_STACK_HOME, FLEETHOOK_STACK_CACHE), or undefined if not fetched yet. */
export function kafkaLibsDir(cache = resolveStackPaths().cache): string | undefined {
  const base = join(cache, 'kafka');
  if (!existsSync(base)) return undefined;
  const dirs = readdirSync(base).map((v) => join(base, v, 'libs')).filter((d) => existsSync(d));
  return dirs.sort().at(-1);
}

export function javaPartitionsFor(keys: readonly string[], numPartitions: number, libsDir = kafkaLibsDir()): number[] {
  if (libsDir === undefined) throw new Error(`Kafka jars not found under ${resolveStackPaths().cache}/kafka/*/libs (run npm run stack:up)`);
  const dir = mkdtempSync(join(tmpdir(), 'fleethook-java-'));
  const file = join(dir, 'Partition.java');
  writeFileSync(file, source);
  const out = execFileSync('java', ['-cp', `${libsDir}/*`, file, String(numPartitions), ...keys], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return out.trim().split('\n').map(Number);
}
