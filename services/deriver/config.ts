import { EnvReader } from '../shared/env-reader.js';
import type { LogLevel } from '../shared/logger.js';
import { readListenConfig, readLogLevel, readSchemaRegistryUrl, readServiceKafkaConfig } from '../shared/runtime/common-config.js';
import type { ListenConfig, ServiceKafkaConfig } from '../shared/runtime/common-config.js';

/** The shared Kafka block, the schema registry, the ops listener and the deriver's own settings. */
export interface DeriverConfig extends ServiceKafkaConfig, ListenConfig {
  readonly schemaRegistryUrl: string;
  /** The group reading telemetry.gps (and its changelog); its own, apart from the dispatcher's. */
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly partitionsConsumedConcurrently: number;
  /** Registers the derived events' schema when absent (on locally; off where schemas are managed). */
  readonly autoRegisterSchemas: boolean;
  /** How long a start may wait for the landmark and subscription registries to catch up. */
  readonly registryCatchUpMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
}

export const deriverDefaults = {
  groupId: 'fleethook-deriver',
  host: '0.0.0.0',
  port: 9_190,
  sessionTimeoutMs: 10_000,
  partitionsConsumedConcurrently: 4,
  autoRegisterSchemas: true,
  registryCatchUpMs: 60_000,
  shutdownGraceMs: 5_000,
} as const;

/**
 * Shared: `FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_TOPIC_PREFIX`, `FLEETHOOK_TOPIC_WAIT_MS`,
 * `FLEETHOOK_TOPIC_WAIT_RETRY_MS`, `FLEETHOOK_SCHEMA_REGISTRY_URL`. Deriver-only ones start
 * with `FLEETHOOK_DERIVER_`: GROUP_ID, HOST, PORT (0 = any free port), SESSION_TIMEOUT_MS,
 * PARTITIONS_CONCURRENCY, AUTO_REGISTER_SCHEMAS, REGISTRY_CATCH_UP_MS, SHUTDOWN_GRACE_MS, LOG_LEVEL.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): DeriverConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = deriverDefaults;
  const config: DeriverConfig = {
    ...readServiceKafkaConfig(r),
    schemaRegistryUrl: readSchemaRegistryUrl(r),
    ...readListenConfig(r, 'DERIVER', d),
    groupId: r.string('DERIVER_GROUP_ID', d.groupId),
    sessionTimeoutMs: r.int('DERIVER_SESSION_TIMEOUT_MS', d.sessionTimeoutMs, { min: 6_000, max: 300_000 }),
    partitionsConsumedConcurrently: r.int('DERIVER_PARTITIONS_CONCURRENCY', d.partitionsConsumedConcurrently, { min: 1, max: 64 }),
    autoRegisterSchemas: r.bool('DERIVER_AUTO_REGISTER_SCHEMAS', d.autoRegisterSchemas),
    registryCatchUpMs: r.int('DERIVER_REGISTRY_CATCH_UP_MS', d.registryCatchUpMs, { min: 100, max: 600_000 }),
    shutdownGraceMs: r.int('DERIVER_SHUTDOWN_GRACE_MS', d.shutdownGraceMs, { min: 0, max: 60_000 }),
    logLevel: readLogLevel(r, 'DERIVER'),
  };
  r.finish();
  return config;
}
