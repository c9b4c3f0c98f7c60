import { EnvReader } from '../shared/env-reader.js';
import { readKafkaConfig, readSchemaRegistryUrl, sharedDefaults } from '../shared/runtime/common-config.js';
import type { KafkaConfig } from '../shared/runtime/common-config.js';

export const compressions = ['none', 'gzip'] as const;
export type Compression = (typeof compressions)[number];

export interface ProducerConfig extends KafkaConfig {
  readonly schemaRegistryUrl: string;
  readonly clientId: string;
  readonly compression: Compression;
  /** Register the value schemas on connect (Confluent's auto.register.schemas); otherwise only look them up. */
  readonly autoRegisterSchemas: boolean;
}

export const producerDefaults: ProducerConfig = {
  kafkaBrokers: sharedDefaults.kafkaBrokers,
  schemaRegistryUrl: sharedDefaults.schemaRegistryUrl,
  clientId: 'fleethook-producer',
  topicPrefix: sharedDefaults.topicPrefix,
  // Measured with `npm run bench:produce`: gzip costs more CPU than it saves on a local broker.
  compression: 'none',
  autoRegisterSchemas: true,
};

/** Producer settings from `FLEETHOOK_*` variables; every problem is reported at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ProducerConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = producerDefaults;
  const config: ProducerConfig = {
    ...readKafkaConfig(r),
    schemaRegistryUrl: readSchemaRegistryUrl(r),
    clientId: r.string('PRODUCER_CLIENT_ID', d.clientId),
    compression: r.oneOf('PRODUCER_COMPRESSION', compressions, d.compression),
    autoRegisterSchemas: r.bool('PRODUCER_AUTO_REGISTER_SCHEMAS', d.autoRegisterSchemas),
  };
  r.finish();
  return config;
}
