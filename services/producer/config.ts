import { EnvReader } from '../shared/env-reader.js';

export const compressions = ['none', 'gzip'] as const;
export type Compression = (typeof compressions)[number];

export interface ProducerConfig {
  readonly kafkaBrokers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly clientId: string;
  /** Prepended to every catalogue topic name (tests, side-by-side environments). */
  readonly topicPrefix: string;
  readonly compression: Compression;
  /** Register the value schemas on connect (Confluent's auto.register.schemas); otherwise only look them up. */
  readonly autoRegisterSchemas: boolean;
}

export const producerDefaults: ProducerConfig = {
  kafkaBrokers: ['127.0.0.1:19092'],
  schemaRegistryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
  clientId: 'fleethook-producer',
  topicPrefix: '',
  // Measured with `npm run bench:produce`: gzip costs more CPU than it saves on a local broker.
  compression: 'none',
  autoRegisterSchemas: true,
};

/** Producer settings from `FLEETHOOK_*` variables; every problem is reported at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ProducerConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = producerDefaults;
  const compression = r.string('PRODUCER_COMPRESSION', d.compression);
  if (!(compressions as readonly string[]).includes(compression)) {
    r.problem(`FLEETHOOK_PRODUCER_COMPRESSION must be one of ${compressions.join(', ')}, got "${compression}"`);
  }
  const config: ProducerConfig = {
    kafkaBrokers: r.list('KAFKA_BROKERS', d.kafkaBrokers),
    schemaRegistryUrl: r.string('SCHEMA_REGISTRY_URL', d.schemaRegistryUrl),
    clientId: r.string('PRODUCER_CLIENT_ID', d.clientId),
    topicPrefix: r.string('TOPIC_PREFIX', d.topicPrefix),
    compression: compression as Compression,
    autoRegisterSchemas: r.bool('PRODUCER_AUTO_REGISTER_SCHEMAS', d.autoRegisterSchemas),
  };
  if (config.kafkaBrokers.length === 0) r.problem('FLEETHOOK_KAFKA_BROKERS must list at least one host:port');
  if (!/^https?:\/\//.test(config.schemaRegistryUrl)) {
    r.problem(`FLEETHOOK_SCHEMA_REGISTRY_URL must be an http(s) URL, got "${config.schemaRegistryUrl}"`);
  }
  r.finish();
  return config;
}
