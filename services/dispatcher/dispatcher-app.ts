import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { KafkaClient } from '../shared/kafka/kafka-port.js';
import { topicCatalogue } from '../../schemas/topics.js';
import type { Logger } from '../shared/logger.js';
import { SchemaRegistryClient } from '../shared/schema-registry-client.js';
import { SecretBox } from '../shared/secret-box.js';
import { createGuardedAgent } from '../shared/ssrf/guarded-agent.js';
import { SsrfGuard } from '../shared/ssrf/ssrf-guard.js';
import { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import type { DispatcherConfig } from './config.js';
import { DeliveredMarks } from './live/delivered-marks.js';
import { IntentWriter } from './intents/intent-writer.js';
import { DeliveryConsumer } from './live/delivery-consumer.js';
import { DeliveryStatusRecorder } from './deliver/delivery-status-recorder.js';
import { RecoveryProgress } from './parking/recovery-progress.js';
import { MessageLogWriter } from '../shared/message-log/message-log-writer.js';
import { createDispatcherMetrics } from './dispatcher-metrics.js';
import { FanOutConsumer } from './match/fan-out-consumer.js';
import { OpenedSubscriptions } from './deliver/opened-subscriptions.js';
import { TelemetryDecoder } from '../shared/telemetry/telemetry-decoder.js';
import { SubscriptionWriter } from '../shared/subscriptions/subscription-writer.js';
import { DelayedTierConsumer } from './retry/delayed-tier-consumer.js';
import { FailureEventEmitter } from '../shared/failures/failure-event-emitter.js';
import { HandledTickets } from './retry/handled-tickets.js';
import { HeadRetry } from './retry/head-retry.js';
import { ParkingIo } from './parking/parking-io.js';
import { retrySchedule } from './retry/retry-policy.js';
import { BacklogDepthMonitor } from './parking/backlog-depth-monitor.js';
import { ConsumerLagMonitor, defaultLagIntervalMs } from '../shared/metrics/consumer-lag-monitor.js';
import { kindByTopicId } from './match/telemetry-record.js';
import type { SupervisionPolicy } from '../shared/supervision/consumer-supervisor.js';
import { OpsServer } from '../shared/runtime/ops-server.js';
import { ReplayConsumer } from './replay/replay-consumer.js';
import { TokenBucket } from './replay/token-bucket.js';
import type { OpsHealth } from '../shared/runtime/ops-server.js';

export interface DispatcherApp {
  readonly port: number;
  readonly deliveries: DeliveryConsumer;
  readonly catalogue: SubscriptionCatalogue;
  close(): Promise<void>;
}

/**
 * Wires one dispatcher instance: catalogue first (nothing is matched or delivered before
 * it is caught up), then the delivery consumer, then match-and-re-key, then the HTTP
 * listener for /metrics, /healthz and /readyz.
 */
/** Every Redis use here is best effort (dedupe marks, status): a command that hangs (a half-open socket) must not hold a subscription's requests. */
const redisCommandTimeoutMs = 5_000;

export async function startDispatcherApp(options: { config: DispatcherConfig; kafka: KafkaClient; logger: Logger; defaultMetrics?: boolean }): Promise<DispatcherApp> {
  const { config, kafka, logger } = options;
  const topics = topicCatalogue({ prefix: config.topicPrefix });
  const metrics = createDispatcherMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const catalogue = new SubscriptionCatalogue({
    kafka, topic: topics.get('webhook.subscriptions').name, logger, groupIdPrefix: `fleethook-dispatcher-catalogue-${hostname()}`,
  });
  // Auto-pipelining: the commands of one tick (marks, status of many requests) go out in one socket write, in order.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false, enableAutoPipelining: true, commandTimeout: redisCommandTimeoutMs });
  redis.on('error', (err: unknown) => logger.warn('redis error', { err }));
  // Batches of one endpoint arrive every few seconds; keep sockets across that gap (undici honours a shorter server keep-alive hint).
  const agent = createGuardedAgent(new SsrfGuard(config.allowList), { connectTimeoutMs: Math.min(10_000, config.requestTimeoutMs), keepAliveTimeoutMs: 30_000, connectionsPerOrigin: config.connectionsPerOrigin,
  });
  const producer = kafka.producer();
  const recorder = new DeliveryStatusRecorder(redis, config.redisKeyPrefix, logger);
  // Its own producer: request bodies are large, and intents and parking writes must not queue behind them.
  const logProducer = kafka.producer({ rememberKeyPartitions: true });
  const deps = {
    agent, lookup: (id: string) => catalogue.get(id), opened: new OpenedSubscriptions(new SecretBox(config.encryptionKeys, config.activeKeyId)),
    recorder, messageLog: new MessageLogWriter(logProducer, topics.get('webhook.messages').name), metrics, logger, requestTimeoutMs: config.requestTimeoutMs, maxResponseBytes: config.maxResponseBytes,
    quickRetryDelaysMs: config.quickRetryDelaysMs, maxRetryDelayMs: config.maxRetryDelayMs,
  };
  const schedule = retrySchedule(config.retryTimeScale);
  const parking = new ParkingIo({
    producer, catalogue, recorder, schedule, logger, recoveryProgress: new RecoveryProgress(redis, config.redisKeyPrefix, logger),
    topics: { parked: topics.get('webhook.parked').name, audit: topics.get('webhook.audit').name, lane: (id) => topics.get(id).name },
    writer: new SubscriptionWriter(producer, topics.get('webhook.subscriptions').name),
    events: new FailureEventEmitter(producer, topics.get('webhook.failures').name),
  });
  const marks = new DeliveredMarks(redis, config.redisKeyPrefix, logger);
  const observer = { restarted: (name: string) => metrics.consumerRestarts.inc({ consumer: name }), stalled: (name: string, n: number) => metrics.stalledPartitions.set({ consumer: name }, n) };
  const deliveries = new DeliveryConsumer({
    kafka, topic: topics.get('webhook.deliveries').name, parkedTopic: topics.get('webhook.parked').name, parking,
    intents: new IntentWriter(producer, topics.get('webhook.intents').name),
    groupId: config.groupId, catalogue, logger,
    maxInFlight: config.maxInFlight, maxOpenItemsPerPartition: config.maxOpenItemsPerPartition, originLookbackRecords: config.originLookbackRecords,
    commitIntervalMs: config.commitIntervalMs, flushTickMs: config.flushTickMs, drainStallWarnMs: config.drainStallWarnMs, rebalanceGraceMs: config.shutdownGraceMs,
    marks, sessionTimeoutMs: config.sessionTimeoutMs, deps,
    // A hanging endpoint holds its partition's commit for a minute and more before the subscription parks.
    supervision: { ...supervisionPolicy(config), stallAfterMs: Math.max(config.stallAfterMs, deliveriesStallFloorMs) }, observer,
  });
  const stopRetries = new AbortController();
  const handled = new HandledTickets(redis, config.redisKeyPrefix, logger);
  const headRetry = new HeadRetry({ deps, parking, catalogue, marks, handled, logger, stop: stopRetries.signal, backlogOf: (id) => deliveries.backlogOf(id),
    episodeOver: (partition, id, episodeId) => deliveries.episodeOver(partition, id, episodeId),
  });
  const tiers = new DelayedTierConsumer({
    kafka, groupId: `${config.groupId}-retry`, topics: schedule.lanes.map((l) => topics.get(l.topic).name), logger,
    handle: (record) => headRetry.handle(record), sessionTimeoutMs: config.sessionTimeoutMs, supervision: supervisionPolicy(config), observer,
  });
  const decoder = new TelemetryDecoder(new SchemaRegistryClient({ url: config.schemaRegistryUrl }), topics);
  const fanOut = new FanOutConsumer({
    kafka, topics, groupId: `${config.groupId}-match`, catalogue, decoder, metrics, logger,
    sessionTimeoutMs: config.sessionTimeoutMs, maxRecordAgeMs: config.maxRecordAgeMs, maxRecordAheadMs: config.maxRecordAheadMs,
    supervision: supervisionPolicy(config), observer,
  });
  const replays = new ReplayConsumer({
    kafka, groupId: `${config.groupId}-replay`, logger, sessionTimeoutMs: config.sessionTimeoutMs, supervision: supervisionPolicy(config), observer, restartDelayMs: 2_000,
    runner: {
      kafka, producer, decoder, redis, redisKeyPrefix: config.redisKeyPrefix, logger, lookup: (id) => catalogue.get(id), open: (s) => deps.opened.get(s),
      sender: {
        agent, requestTimeoutMs: config.requestTimeoutMs, maxResponseBytes: config.maxResponseBytes, retryDelaysMs: [...config.quickRetryDelaysMs, config.maxRetryDelayMs],
        messageLog: deps.messageLog, logger,
      },
      bucket: new TokenBucket(config.replayRequestsPerSecond, Math.max(1, Math.ceil(config.replayRequestsPerSecond / 4))),
      topics: { replays: topics.get('webhook.replays').name, telemetry: { gps: topics.get('telemetry.gps').name, dtc: topics.get('telemetry.dtc').name, event: topics.get('telemetry.events').name } },
      groupPrefix: `${config.groupId}-replay-read`, chunkOffsets: config.replayChunkOffsets, marginMs: config.replayMarginMs,
      maxRecordAgeMs: config.maxRecordAgeMs, maxRecordAheadMs: config.maxRecordAheadMs, readTimeoutMs: 60_000,
    },
  });
  const lag = new ConsumerLagMonitor({
    admin: kafka.admin(), gauge: metrics.consumerLag, intervalMs: defaultLagIntervalMs, logger,
    groups: [
      { group: `${config.groupId}-match`, topics: Object.keys(kindByTopicId).map((id) => topics.get(id).name), startsAt: 'earliest' },
      { group: config.groupId, topics: [topics.get('webhook.deliveries').name, topics.get('webhook.parked').name], startsAt: 'earliest' },
      { group: `${config.groupId}-retry`, topics: schedule.lanes.map((l) => topics.get(l.topic).name), startsAt: 'earliest' },
    ],
  });
  const backlogs = new BacklogDepthMonitor({
    parked: () => deliveries.parkedSubscriptions(), redis, redisKeyPrefix: config.redisKeyPrefix, logger,
    gauges: { items: metrics.backlogItems, oldestParkedSeconds: metrics.oldestParkedSeconds }, intervalMs: backlogIntervalMs,
  });
  await catalogue.start();
  await producer.connect();
  await logProducer.connect();
  await deliveries.start();
  await tiers.start();
  await fanOut.start();
  await replays.start();
  lag.start();
  backlogs.start();
  const health = (): OpsHealth => ({
    ready: catalogue.ready() && deliveries.ready() && fanOut.ready(),
    healthy: fanOut.healthy() && deliveries.healthy() && tiers.healthy() && replays.healthy(),
    detail: { catalogueReady: catalogue.ready(), deliveriesJoined: deliveries.isJoined, match: fanOut.status(), deliveries: deliveries.status() },
  });
  // Ready = catalogue caught up, both consumers joined, the match consumer running and none of its partitions stalled.
  // Healthy = no supervised consumer down for longer than the stall bound (restarting the process is then the remaining remedy).
  const ops = await OpsServer.start({ registry: metrics.registry, health, host: config.host, port: config.port });
  const port = ops.port;
  logger.info('dispatcher started', { port, group: config.groupId, topicPrefix: config.topicPrefix });
  let closing: Promise<void> | undefined;
  return {
    port, deliveries, catalogue,
    close: () => (closing ??= (async () => {
      // The three groups hand over at once, so the rebalances overlap: a match stage that left
      // first would send fresh items to deliveries partitions that still wait for their owner.
      // Nothing is lost either way — each stage commits only what it finished.
      stopRetries.abort();
      await Promise.all([fanOut.close(), tiers.close().catch(() => undefined), replays.close().catch(() => undefined), deliveries.close(Math.min(config.handoverGraceMs, config.shutdownGraceMs)), lag.close(), backlogs.close()]);
      await producer.disconnect().catch(() => undefined);
      await logProducer.disconnect().catch(() => undefined);
      await ops.close();
      await catalogue.close();
      await agent.close().catch(() => undefined);
      redis.disconnect();
    })()),
  };
}

/** The least stall bound of the deliveries consumer: a hanging endpoint holds its partition's commit through its quick retries (4 × the 15 s timeout and the waits) before it parks. */
const deliveriesStallFloorMs = 180_000;

/** How often the parked backlogs' depth is read (from this instance's books and Redis). */
const backlogIntervalMs = 5_000;

function supervisionPolicy(config: DispatcherConfig): SupervisionPolicy {
  return {
    restart: { initialMs: config.consumerRestartMinMs, maxMs: config.consumerRestartMaxMs },
    stallAfterMs: config.stallAfterMs,
    checkIntervalMs: Math.max(200, Math.min(5_000, Math.floor(config.stallAfterMs / 4))),
  };
}
