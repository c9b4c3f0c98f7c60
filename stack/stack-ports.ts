import { ConfigError } from '../services/shared/errors.js';

/** Where the single-node stack listens. Tests and services code against the defaults. */
export interface StackPorts {
  readonly kafka: number;
  readonly kafkaController: number;
  readonly registry: number;
  readonly registryManagement: number;
  readonly redis: number;
  readonly smtp: number;
  readonly smtpWeb: number;
}

export const defaultStackPorts: StackPorts = {
  kafka: 19_092,
  kafkaController: 19_093,
  registry: 18_081,
  registryManagement: 18_082,
  redis: 16_379,
  smtp: 11_025,
  smtpWeb: 11_080,
};

const envNames: Record<keyof StackPorts, string> = {
  kafka: 'FLEETHOOK_STACK_KAFKA_PORT',
  kafkaController: 'FLEETHOOK_STACK_KAFKA_CONTROLLER_PORT',
  registry: 'FLEETHOOK_STACK_REGISTRY_PORT',
  registryManagement: 'FLEETHOOK_STACK_REGISTRY_MANAGEMENT_PORT',
  redis: 'FLEETHOOK_STACK_REDIS_PORT',
  smtp: 'FLEETHOOK_STACK_SMTP_PORT',
  smtpWeb: 'FLEETHOOK_STACK_SMTP_WEB_PORT',
};

/** Defaults, overridden per port by `FLEETHOOK_STACK_<NAME>_PORT` (an isolated instance in a test). */
export function stackPortsFromEnv(env: NodeJS.ProcessEnv = process.env): StackPorts {
  const problems: string[] = [];
  const ports = { ...defaultStackPorts };
  for (const key of Object.keys(envNames) as (keyof StackPorts)[]) {
    const name = envNames[key];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      problems.push(`${name}: expected a TCP port (1-65535), got ${JSON.stringify(raw)}`);
      continue;
    }
    ports[key] = port;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return ports;
}
