/** One KRaft node running as combined broker + controller. */
export interface KafkaNodeSpec {
  readonly nodeId: number;
  readonly host: string;
  readonly clientPort: number;
  readonly controllerPort: number;
  /** Every controller of the cluster, this node included. */
  readonly voters: readonly { readonly nodeId: number; readonly controllerPort: number }[];
  readonly logDir: string;
  /** Replication factor for the internal topics (offsets, transactions, share groups). */
  readonly internalReplicationFactor: number;
}

const eightDaysMs = 8 * 24 * 60 * 60 * 1_000;

/** The node's server.properties: single-host, plaintext, internal topics sized to the cluster. */
export function buildKafkaProperties(spec: KafkaNodeSpec): string {
  const rf = spec.internalReplicationFactor;
  const minIsr = Math.min(2, rf);
  const voters = spec.voters.map((v) => `${v.nodeId}@${spec.host}:${v.controllerPort}`).join(',');
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': spec.nodeId,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://${spec.host}:${spec.clientPort},CONTROLLER://${spec.host}:${spec.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${spec.host}:${spec.clientPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': spec.logDir,
    'num.partitions': 1,
    'default.replication.factor': rf,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': rf,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 10,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
    // Tests and the dev loop start consumers one after another; don't wait for more to join.
    'group.initial.rebalance.delay.ms': 0,
    // Topics come from the catalogue (`npm run topics`), never from a typo in a producer.
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'log.retention.ms': eightDaysMs,
    'log.segment.bytes': 64 * 1_024 * 1_024,
    'log.retention.check.interval.ms': 60_000,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'controlled.shutdown.enable': true,
  };
  return (
    Object.entries(props)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n') + '\n'
  );
}

/** log4j2 for a broker: INFO to stdout (the component's log file), the chattiest loggers quieter. */
export function buildKafkaLog4j2Properties(): string {
  return [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = STDOUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.out.ref = STDOUT',
    ...quiet('kafka.request.logger', 'WARN'),
    ...quiet('state.change.logger', 'WARN'),
    ...quiet('kafka.log.LogCleaner', 'WARN'),
    ...quiet('org.apache.kafka.storage.internals.log', 'WARN'),
    ...quiet('org.apache.kafka.clients', 'WARN'),
    '',
  ].join('\n');
}

function quiet(logger: string, level: string): string[] {
  const id = logger.replaceAll('.', '_');
  return [`logger.${id}.name = ${logger}`, `logger.${id}.level = ${level}`];
}
