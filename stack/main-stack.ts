import path from 'node:path';
import { kafkaComponent } from './kafka-component.js';
import { redisComponent } from './redis-component.js';
import { registryComponent } from './registry-component.js';
import { smtpComponent } from './smtp-component.js';
import type { StackComponent } from './stack-component.js';
import type { StackPaths } from './stack-paths.js';
import type { StackPorts } from './stack-ports.js';
import { kafkaClusterIds } from './stack-versions.js';

export const componentNames = ['kafka', 'registry', 'redis', 'smtp'] as const;
export type ComponentName = (typeof componentNames)[number];

export const stackHost = '127.0.0.1';

/** The single-node development stack: one KRaft broker, the schema registry, Redis, an SMTP sink. */
export function mainComponents(paths: StackPaths, ports: StackPorts): Record<ComponentName, StackComponent> {
  return {
    kafka: kafkaComponent({
      paths,
      name: 'kafka',
      clusterId: kafkaClusterIds.single,
      heapMb: 512,
      spec: {
        nodeId: 1,
        host: stackHost,
        clientPort: ports.kafka,
        controllerPort: ports.kafkaController,
        voters: [{ nodeId: 1, controllerPort: ports.kafkaController }],
        logDir: path.join(paths.data, 'kafka'),
        internalReplicationFactor: 1,
      },
    }),
    registry: registryComponent({
      paths,
      host: stackHost,
      port: ports.registry,
      managementPort: ports.registryManagement,
      heapMb: 384,
    }),
    redis: redisComponent({ paths, host: stackHost, port: ports.redis }),
    smtp: smtpComponent({ paths, host: stackHost, port: ports.smtp, webPort: ports.smtpWeb }),
  };
}

export function isComponentName(value: string): value is ComponentName {
  return (componentNames as readonly string[]).includes(value);
}
