import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FleethookError } from '../services/shared/errors.js';
import { findJava } from './java-runtime.js';
import { ensureKafkaLibs } from './kafka-fetch.js';
import { buildKafkaLog4j2Properties, buildKafkaProperties, type KafkaNodeSpec } from './kafka-properties.js';
import { kafkaAnswers } from './readiness-probes.js';
import { warmUpKafka } from './kafka-warm-up.js';
import type { StackComponent } from './stack-component.js';
import type { StackPaths } from './stack-paths.js';
import { kafkaLibsDir } from './stack-paths.js';
import { stackVersions } from './stack-versions.js';

const execFileAsync = promisify(execFile);

export interface KafkaComponentOptions {
  readonly paths: StackPaths;
  readonly name: string;
  readonly spec: KafkaNodeSpec;
  readonly clusterId: string;
  readonly heapMb: number;
  readonly readyTimeoutMs?: number;
  /** Create the internal topics right after start (default). A cluster does it once all nodes are up. */
  readonly warmUp?: boolean;
}

/** A KRaft combined broker+controller from the Maven Central jars, storage formatted on first start. */
export function kafkaComponent(opts: KafkaComponentOptions): StackComponent {
  const { paths, name, spec } = opts;
  const confDir = path.join(paths.conf, name);
  const serverProps = path.join(confDir, 'server.properties');
  const log4jProps = path.join(confDir, 'log4j2.properties');
  const libs = kafkaLibsDir(paths, stackVersions.kafka);
  const java = (): string => findJava({ minMajor: 17, preferredEnv: 'FLEETHOOK_STACK_KAFKA_JAVA_HOME', pick: 'first' }).javaBin;
  const logFile = path.join(paths.logs, `${name}.log`);
  return {
    name,
    host: spec.host,
    port: spec.clientPort,
    endpoint: `${spec.host}:${spec.clientPort} (controller ${spec.host}:${spec.controllerPort})`,
    logFile,
    marker: serverProps,
    family: ['kafka.Kafka', `/conf/${name}/server.properties`],
    readyTimeoutMs: opts.readyTimeoutMs ?? 90_000,
    async prepare() {
      await ensureKafkaLibs(paths);
      fs.mkdirSync(confDir, { recursive: true });
      fs.mkdirSync(spec.logDir, { recursive: true });
      fs.writeFileSync(serverProps, buildKafkaProperties(spec));
      fs.writeFileSync(log4jProps, buildKafkaLog4j2Properties());
      if (!fs.existsSync(path.join(spec.logDir, 'meta.properties'))) {
        await formatStorage(java(), libs, opts.clusterId, serverProps, logFile);
      }
    },
    command: () => ({
      command: java(),
      args: [
        `-Xms128m`,
        `-Xmx${opts.heapMb}m`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4jProps}`,
        '-cp',
        `${libs}/*`,
        'kafka.Kafka',
        serverProps,
      ],
      logFile,
      cwd: spec.logDir,
    }),
    probe: () => kafkaAnswers([`${spec.host}:${spec.clientPort}`]),
    afterReady: opts.warmUp === false ? undefined : () => warmUpKafka([`${spec.host}:${spec.clientPort}`]),
  };
}

async function formatStorage(javaBin: string, libs: string, clusterId: string, serverProps: string, logFile: string): Promise<void> {
  try {
    const { stdout, stderr } = await execFileAsync(javaBin, [
      '-cp',
      `${libs}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      clusterId,
      '--config',
      serverProps,
      '--ignore-formatted',
    ]);
    fs.appendFileSync(logFile, `--- storage format\n${stdout}${stderr}`);
  } catch (err) {
    const detail = err instanceof Error && 'stderr' in err ? String(err.stderr) : String(err);
    throw new FleethookError('STACK_START_FAILED', `kafka storage format failed for ${serverProps}:\n${detail}`, { cause: err });
  }
}
