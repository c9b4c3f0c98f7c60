import fs from 'node:fs';
import path from 'node:path';
import { FleethookError } from '../services/shared/errors.js';
import { ensureApicurio } from './apicurio-fetch.js';
import { findJava } from './java-runtime.js';
import { registryAnswers } from './readiness-probes.js';
import type { StackComponent } from './stack-component.js';
import { apicurioDir, type StackPaths } from './stack-paths.js';
import { stackVersions } from './stack-versions.js';

export interface RegistryComponentOptions {
  readonly paths: StackPaths;
  readonly host: string;
  readonly port: number;
  readonly managementPort: number;
  readonly heapMb: number;
}

/**
 * Apicurio Registry 3 with file-backed H2 storage, so schema ids survive restarts exactly
 * like the Kafka data that carries them. Clients use its Confluent-compatible API.
 */
export function registryComponent(opts: RegistryComponentOptions): StackComponent {
  const { paths, host, port } = opts;
  const dataDir = path.join(paths.data, 'registry');
  const dbPath = path.join(dataDir, 'registry');
  const ccompatUrl = `http://${host}:${port}/apis/ccompat/v7`;
  const runJar = path.join(apicurioDir(paths, stackVersions.apicurio), 'quarkus-run.jar');
  return {
    name: 'registry',
    host,
    port,
    endpoint: ccompatUrl,
    logFile: path.join(paths.logs, 'registry.log'),
    marker: `jdbc:h2:file:${dbPath}`,
    family: ['/apicurio/', 'quarkus-run.jar', '/data/registry/registry'],
    readyTimeoutMs: 120_000,
    async prepare() {
      await ensureApicurio(paths);
      fs.mkdirSync(dataDir, { recursive: true });
    },
    command() {
      const java = findJava({ minMajor: 21, preferredEnv: 'FLEETHOOK_STACK_REGISTRY_JAVA_HOME', pick: 'newest' });
      return {
        command: java.javaBin,
        args: [
          '-Xms64m',
          `-Xmx${opts.heapMb}m`,
          '-XX:+ExitOnOutOfMemoryError',
          `-Dquarkus.http.host=${host}`,
          `-Dquarkus.http.port=${port}`,
          `-Dquarkus.management.host=${host}`,
          `-Dquarkus.management.port=${opts.managementPort}`,
          '-Dquarkus.http.access-log.enabled=false',
          '-Dquarkus.log.console.color=false',
          `-Dapicurio.datasource.url=jdbc:h2:file:${dbPath}`,
          '-jar',
          runJar,
        ],
        logFile: path.join(paths.logs, 'registry.log'),
        cwd: dataDir,
      };
    },
    probe: () => registryAnswers(ccompatUrl),
    // @kafkajs/confluent-schema-registry registers new versions expecting Confluent's default
    // BACKWARD rule; Apicurio has no global rule until one is set. Stored in H2, so it persists.
    afterReady: () => setGlobalCompatibility(ccompatUrl, 'BACKWARD'),
  };
}

async function setGlobalCompatibility(ccompatUrl: string, level: string): Promise<void> {
  const res = await fetch(`${ccompatUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.text();
  if (res.status !== 200) {
    throw new FleethookError('STACK_START_FAILED', `registry: PUT ${ccompatUrl}/config answered ${res.status}: ${body}`);
  }
}
