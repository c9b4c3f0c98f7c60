import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../../../services/shared/env-reader.js';
import { ConfigError } from '../../../../services/shared/errors.js';
import {
  logLevels, readKafkaConfig, readListenConfig, readLogLevel, readRedisConfig, readSchemaRegistryUrl, readSecretKeys, readServiceKafkaConfig, sharedDefaults,
} from '../../../../services/shared/runtime/common-config.js';

type Env = Record<string, string | undefined>;
const key = Buffer.alloc(32, 7).toString('base64');

/** Runs `read` on a FLEETHOOK_ reader and returns its value, or the problems `finish()` reported. */
function read<T>(env: Env, fn: (r: EnvReader) => T): { value: T; problems: readonly string[] } {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const value = fn(r);
  try {
    r.finish();
    return { value, problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { value, problems: err.problems };
    throw err;
  }
}

describe('EnvReader.oneOf (the enum reader)', () => {
  const modes = ['none', 'starttls', 'tls'] as const;

  it.each([
    ['absent', {}, 'none'],
    ['blank', { FLEETHOOK_MODE: '  ' }, 'none'],
    ['a listed value', { FLEETHOOK_MODE: 'tls' }, 'tls'],
    ['a listed value with spaces around', { FLEETHOOK_MODE: ' starttls ' }, 'starttls'],
  ] as const)('%s reads as the value or the fallback', (_what, env, expected) => {
    expect(read(env, (r) => r.oneOf('MODE', modes, 'none'))).toEqual({ value: expected, problems: [] });
  });

  it.each([
    ['an unknown word', 'maybe'],
    ['another case', 'TLS'],
    ['a prefix of a choice', 'start'],
  ])('refuses %s, naming the variable, the choices and the value, and falls back', (_what, value) => {
    const { value: got, problems } = read({ FLEETHOOK_MODE: value }, (r) => r.oneOf('MODE', modes, 'none'));
    expect(got).toBe('none');
    expect(problems).toEqual([`FLEETHOOK_MODE must be one of none, starttls, tls, got "${value}"`]);
  });
});

describe('the shared config block', () => {
  it('defaults to the local stack', () => {
    const { value, problems } = read({}, (r) => ({ ...readServiceKafkaConfig(r), ...readRedisConfig(r), schemaRegistryUrl: readSchemaRegistryUrl(r), logLevel: readLogLevel(r, 'ALERTER') }));
    expect(problems).toEqual([]);
    expect(value).toEqual({
      kafkaBrokers: sharedDefaults.kafkaBrokers, topicPrefix: '', topicWait: { maxWaitMs: 60_000, retryDelayMs: 250 },
      redisUrl: sharedDefaults.redisUrl, redisKeyPrefix: sharedDefaults.redisKeyPrefix, schemaRegistryUrl: sharedDefaults.schemaRegistryUrl, logLevel: 'info',
    });
  });

  it('reads every shared variable by its unprefixed name and the per-service ones by the service prefix', () => {
    const env = {
      FLEETHOOK_KAFKA_BROKERS: 'a:1, b:2', FLEETHOOK_TOPIC_PREFIX: 't.', FLEETHOOK_TOPIC_WAIT_MS: '0', FLEETHOOK_REDIS_URL: 'rediss://r:1',
      FLEETHOOK_REDIS_KEY_PREFIX: 'x:', FLEETHOOK_SCHEMA_REGISTRY_URL: 'https://reg', FLEETHOOK_DISPATCHER_LOG_LEVEL: 'debug',
      FLEETHOOK_DISPATCHER_HOST: '127.0.0.1', FLEETHOOK_DISPATCHER_PORT: '0', FLEETHOOK_SECRET_KEYS: `k1:${key},k2:${key}`, FLEETHOOK_SECRET_ACTIVE_KEY_ID: 'k2',
    };
    const { value, problems } = read(env, (r) => ({
      ...readServiceKafkaConfig(r), ...readRedisConfig(r), registry: readSchemaRegistryUrl(r), logLevel: readLogLevel(r, 'DISPATCHER'),
      ...readListenConfig(r, 'DISPATCHER', { host: '0.0.0.0', port: 9090 }), activeKeyId: readSecretKeys(r).activeKeyId,
    }));
    expect(problems).toEqual([]);
    expect(value).toMatchObject({
      kafkaBrokers: ['a:1', 'b:2'], topicPrefix: 't.', topicWait: { maxWaitMs: 0 }, redisUrl: 'rediss://r:1', redisKeyPrefix: 'x:',
      registry: 'https://reg', logLevel: 'debug', host: '127.0.0.1', port: 0, activeKeyId: 'k2',
    });
  });

  it('reports every problem at once, each by its variable name', () => {
    const env = {
      FLEETHOOK_KAFKA_BROKERS: ' , ', FLEETHOOK_REDIS_URL: 'http://r', FLEETHOOK_SCHEMA_REGISTRY_URL: 'reg:8081', FLEETHOOK_ALERTER_LOG_LEVEL: 'verbose',
      FLEETHOOK_ALERTER_PORT: '70000', FLEETHOOK_TOPIC_WAIT_MS: '-1', FLEETHOOK_SECRET_KEYS: `k1:${key}`, FLEETHOOK_SECRET_ACTIVE_KEY_ID: 'k9',
    };
    const { problems } = read(env, (r) => [
      readServiceKafkaConfig(r), readRedisConfig(r), readSchemaRegistryUrl(r), readLogLevel(r, 'ALERTER'), readListenConfig(r, 'ALERTER', { host: 'h', port: 1 }), readSecretKeys(r),
    ]);
    expect(problems).toEqual([
      'FLEETHOOK_KAFKA_BROKERS must list at least one host:port',
      'FLEETHOOK_TOPIC_WAIT_MS must be >= 0, got -1',
      'FLEETHOOK_REDIS_URL must be a redis:// or rediss:// URL, got "http://r"',
      'FLEETHOOK_SCHEMA_REGISTRY_URL must be an http(s) URL, got "reg:8081"',
      `FLEETHOOK_ALERTER_LOG_LEVEL must be one of ${logLevels.join(', ')}, got "verbose"`,
      'FLEETHOOK_ALERTER_PORT must be <= 65535, got 70000',
      'FLEETHOOK_SECRET_ACTIVE_KEY_ID "k9" is not one of the keys in FLEETHOOK_SECRET_KEYS',
    ]);
  });

  it('requires the secret keys and says what is wrong with a malformed one', () => {
    expect(read({}, readSecretKeys).problems).toEqual(['FLEETHOOK_SECRET_KEYS is required']);
    const bad = read({ FLEETHOOK_SECRET_KEYS: 'k1:c2hvcnQ=' }, readSecretKeys).problems;
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^FLEETHOOK_SECRET_KEYS: /);
  });

  it('the producer SDK reads brokers and prefix without a topic wait', () => {
    expect(read({ FLEETHOOK_TOPIC_PREFIX: 'p.' }, readKafkaConfig).value).toEqual({ kafkaBrokers: sharedDefaults.kafkaBrokers, topicPrefix: 'p.' });
  });
});
