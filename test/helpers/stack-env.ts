import { stackPortsFromEnv } from '../../stack/stack-ports.js';

const ports = stackPortsFromEnv(process.env);

/**
 * Where the tests find the real infrastructure. Defaults match the Docker-free stack
 * (`npm run stack:up`, on the ports `FLEETHOOK_STACK_*_PORT` move it to, as the global
 * setup starts it); the same variables the services read can point elsewhere.
 */
export const stackEnv = {
  kafkaBrokers: (process.env.FLEETHOOK_KAFKA_BROKERS ?? `127.0.0.1:${ports.kafka}`).split(','),
  registryUrl: process.env.FLEETHOOK_SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
  redisUrl: process.env.FLEETHOOK_REDIS_URL ?? `redis://127.0.0.1:${ports.redis}`,
} as const;

/** A name no other test (or earlier run) uses: for topics, group ids and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
