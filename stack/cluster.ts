import fs from 'node:fs';
import path from 'node:path';
import { FleethookError } from '../services/shared/errors.js';
import { inspectComponent, stopComponent, ensureRunning, type ComponentState } from './component-runner.js';
import { kafkaComponent } from './kafka-component.js';
import { stackHost } from './main-stack.js';
import type { StopOutcome } from './process-control.js';
import { kafkaAnswers } from './readiness-probes.js';
import { warmUpKafka } from './kafka-warm-up.js';
import type { StackComponent } from './stack-component.js';
import { runAll, type UpResult } from './stack-control.js';
import { resolveStackPaths, type StackPaths } from './stack-paths.js';
import { kafkaClusterIds } from './stack-versions.js';
import { waitUntil } from './wait-until.js';

/** The 3-node KRaft cluster on one host, for replication tests. Ports are fixed. */
export const clusterNodes = [
  { nodeId: 1, clientPort: 29_092, controllerPort: 29_093 },
  { nodeId: 2, clientPort: 29_192, controllerPort: 29_193 },
  { nodeId: 3, clientPort: 29_292, controllerPort: 29_293 },
] as const;

export type ClusterNodeId = (typeof clusterNodes)[number]['nodeId'];

export const clusterBrokers: readonly string[] = clusterNodes.map((n) => `${stackHost}:${n.clientPort}`);

export function clusterDataDir(paths: StackPaths = resolveStackPaths()): string {
  return path.join(paths.data, 'cluster');
}

function nodeName(nodeId: number): string {
  return `cluster-node-${nodeId}`;
}

function clusterComponents(paths: StackPaths): StackComponent[] {
  return clusterNodes.map((node) =>
    kafkaComponent({
      paths,
      name: nodeName(node.nodeId),
      clusterId: kafkaClusterIds.cluster,
      heapMb: 256,
      warmUp: false,
      spec: {
        nodeId: node.nodeId,
        host: stackHost,
        clientPort: node.clientPort,
        controllerPort: node.controllerPort,
        voters: clusterNodes.map((v) => ({ nodeId: v.nodeId, controllerPort: v.controllerPort })),
        logDir: path.join(clusterDataDir(paths), `node-${node.nodeId}`),
        internalReplicationFactor: 3,
      },
    }),
  );
}

/**
 * Starts the three nodes together (a node only answers once a quorum exists) and waits
 * until all three brokers are registered. Idempotent like `stackUp`.
 */
export async function startCluster(
  paths: StackPaths = resolveStackPaths(),
  options: { takeOver?: boolean } = {},
): Promise<UpResult[]> {
  fs.mkdirSync(paths.run, { recursive: true });
  const results = await runAll(clusterComponents(paths), async (c) => ({
    ...(await ensureRunning(paths.run, c, { takeOver: options.takeOver === true })),
    name: c.name,
    endpoint: c.endpoint,
    logFile: c.logFile,
  }));
  const allRegistered = await waitUntil(
    async () => ((await kafkaAnswers(clusterBrokers, clusterNodes.length)) ? true : undefined),
    { timeoutMs: 60_000 },
  );
  if (!allRegistered) {
    throw new FleethookError(
      'STACK_START_FAILED',
      `the cluster's nodes answer but fewer than ${clusterNodes.length} brokers registered within 60 s; logs in ${paths.logs}`,
    );
  }
  await warmUpKafka(clusterBrokers);
  return results;
}

/** Stops one node (gracefully), leaving the other two serving. */
export function stopClusterNode(nodeId: ClusterNodeId, paths: StackPaths = resolveStackPaths()): Promise<StopOutcome> {
  return stopComponent(paths.run, nodeName(nodeId));
}

/** Stops every node; with `removeData`, deletes the cluster's storage so the next start is fresh. */
export async function stopCluster(
  options: { removeData?: boolean; paths?: StackPaths } = {},
): Promise<{ name: string; outcome: StopOutcome }[]> {
  const paths = options.paths ?? resolveStackPaths();
  const results = await Promise.all(
    clusterNodes.map(async (n) => ({ name: nodeName(n.nodeId), outcome: await stopComponent(paths.run, nodeName(n.nodeId)) })),
  );
  if (options.removeData) {
    fs.rmSync(clusterDataDir(paths), { recursive: true, force: true });
    for (const n of clusterNodes) fs.rmSync(path.join(paths.conf, nodeName(n.nodeId)), { recursive: true, force: true });
  }
  return results;
}

export function clusterStatus(paths: StackPaths = resolveStackPaths()): Promise<ComponentState[]> {
  return Promise.all(clusterComponents(paths).map((c) => inspectComponent(paths.run, c)));
}
