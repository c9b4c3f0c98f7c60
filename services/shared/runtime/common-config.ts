import { defaultRedisKeyPrefix } from '../delivery-status-keys.js';
import type { EnvReader } from '../env-reader.js';
import type { LogLevel } from '../logger.js';
import { parseEncryptionKeys } from '../secret-box.js';
import type { EncryptionKey } from '../secret-box.js';
import type { TopicWaitSettings } from '../topic-wait/decide-topic-wait.js';
import { readTopicWaitSettings } from '../topic-wait/topic-wait-config.js';

/**
 * The configuration block every service shares, read once here: the variables keep the
 * unprefixed `FLEETHOOK_` names (`FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_TOPIC_PREFIX`,
 * `FLEETHOOK_TOPIC_WAIT_MS`, `FLEETHOOK_TOPIC_WAIT_RETRY_MS`, `FLEETHOOK_SCHEMA_REGISTRY_URL`,
 * `FLEETHOOK_REDIS_URL`, `FLEETHOOK_REDIS_KEY_PREFIX`, `FLEETHOOK_SECRET_KEYS`,
 * `FLEETHOOK_SECRET_ACTIVE_KEY_ID`), and the per-service ones take the service's prefix
 * (`FLEETHOOK_DISPATCHER_LOG_LEVEL`, `FLEETHOOK_ALERTER_PORT`, …). Each reader takes the
 * service's `FLEETHOOK_` EnvReader, so every problem is still reported at once, by name.
 */
export const sharedDefaults = {
  kafkaBrokers: ['127.0.0.1:19092'],
  schemaRegistryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
  redisUrl: 'redis://127.0.0.1:16379',
  redisKeyPrefix: defaultRedisKeyPrefix,
  topicPrefix: '',
  logLevel: 'info',
} as const;

export const logLevels = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];

export interface KafkaConfig {
  readonly kafkaBrokers: readonly string[];
  /** Prepended to every catalogue topic name (tests, side-by-side environments). */
  readonly topicPrefix: string;
}

export interface ServiceKafkaConfig extends KafkaConfig {
  /** FLEETHOOK_TOPIC_WAIT_MS / FLEETHOOK_TOPIC_WAIT_RETRY_MS: the start-up wait for this service's topics. */
  readonly topicWait: TopicWaitSettings;
}

export interface RedisConfig {
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
}

export interface SecretKeysConfig {
  readonly encryptionKeys: readonly EncryptionKey[];
  readonly activeKeyId: string;
}

/** Where a service's own HTTP listener binds (its API or its /metrics, /healthz, /readyz). */
export interface ListenConfig {
  readonly host: string;
  readonly port: number;
}

/** A service's variable prefix after `FLEETHOOK_`, e.g. `DISPATCHER`. */
export type ServicePrefix = 'DISPATCHER' | 'ALERTER' | 'ADMIN' | 'DERIVER' | 'SCHEDULER';

export function readKafkaConfig(r: EnvReader): KafkaConfig {
  const kafkaBrokers = r.list('KAFKA_BROKERS', sharedDefaults.kafkaBrokers);
  if (kafkaBrokers.length === 0) r.problem('FLEETHOOK_KAFKA_BROKERS must list at least one host:port');
  return { kafkaBrokers, topicPrefix: r.string('TOPIC_PREFIX', sharedDefaults.topicPrefix) };
}

/** The Kafka block of a long-running service: brokers, prefix and the start-up wait for its topics. */
export function readServiceKafkaConfig(r: EnvReader): ServiceKafkaConfig {
  return { ...readKafkaConfig(r), topicWait: readTopicWaitSettings(r) };
}

export function readSchemaRegistryUrl(r: EnvReader): string {
  const url = r.string('SCHEMA_REGISTRY_URL', sharedDefaults.schemaRegistryUrl);
  if (!/^https?:\/\//.test(url)) r.problem(`FLEETHOOK_SCHEMA_REGISTRY_URL must be an http(s) URL, got "${url}"`);
  return url;
}

export function readRedisConfig(r: EnvReader): RedisConfig {
  const redisUrl = r.string('REDIS_URL', sharedDefaults.redisUrl);
  if (!/^rediss?:\/\//.test(redisUrl)) r.problem(`FLEETHOOK_REDIS_URL must be a redis:// or rediss:// URL, got "${redisUrl}"`);
  return { redisUrl, redisKeyPrefix: r.string('REDIS_KEY_PREFIX', sharedDefaults.redisKeyPrefix) };
}

/** `FLEETHOOK_SECRET_KEYS` (`kid:base64-32-bytes,…`, required) and `FLEETHOOK_SECRET_ACTIVE_KEY_ID` (default: the first key). */
export function readSecretKeys(r: EnvReader): SecretKeysConfig {
  const keys = parseEncryptionKeys(r.requiredString('SECRET_KEYS'));
  keys.problems.forEach((p) => r.problem(`FLEETHOOK_SECRET_KEYS: ${p}`));
  const activeKeyId = r.string('SECRET_ACTIVE_KEY_ID', keys.keys[0]?.keyId ?? '');
  if (keys.keys.length > 0 && !keys.keys.some((k) => k.keyId === activeKeyId)) {
    r.problem(`FLEETHOOK_SECRET_ACTIVE_KEY_ID "${activeKeyId}" is not one of the keys in FLEETHOOK_SECRET_KEYS`);
  }
  return { encryptionKeys: keys.keys, activeKeyId };
}

/** `FLEETHOOK_<SERVICE>_LOG_LEVEL`: debug, info, warn or error. */
export function readLogLevel(r: EnvReader, service: ServicePrefix): LogLevel {
  return r.oneOf(`${service}_LOG_LEVEL`, logLevels, sharedDefaults.logLevel);
}

/** `FLEETHOOK_<SERVICE>_HOST` and `FLEETHOOK_<SERVICE>_PORT` (0 = any free port). */
export function readListenConfig(r: EnvReader, service: ServicePrefix, defaults: ListenConfig): ListenConfig {
  return { host: r.string(`${service}_HOST`, defaults.host), port: r.int(`${service}_PORT`, defaults.port, { min: 0, max: 65_535 }) };
}
