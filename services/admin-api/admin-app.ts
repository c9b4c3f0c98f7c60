import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { topicCatalogue } from '../../schemas/topics.js';
import type { KafkaClient, RecordProducer } from '../shared/kafka/kafka-port.js';
import type { Logger } from '../shared/logger.js';
import { FailureEventEmitter } from '../shared/failures/failure-event-emitter.js';
import { SecretBox } from '../shared/secret-box.js';
import { createGuardedAgent } from '../shared/ssrf/guarded-agent.js';
import { SsrfGuard } from '../shared/ssrf/ssrf-guard.js';
import { LandmarkRegistry } from '../shared/landmarks/landmark-registry.js';
import { LandmarkWriter } from '../shared/landmarks/landmark-writer.js';
import { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import { SubscriptionWriter } from '../shared/subscriptions/subscription-writer.js';
import { createAdminMetrics } from './admin-metrics.js';
import { adminRoutes } from './admin-routes.js';
import { AlertConfirmationRequests } from './alert-confirmation-requests.js';
import { AlertEmailConfirmer } from './alert-email-confirmer.js';
import { AdminServer } from './admin-server.js';
import { ApiKeyAuthenticator } from './authenticate.js';
import type { AdminConfig } from './config.js';
import { noDeliveryStatus } from './delivery-status-source.js';
import type { DeliveryStatusSource } from './delivery-status-source.js';
import { EndpointActions } from './endpoint-actions.js';
import { EndpointCallLimiter } from './endpoint-call-limiter.js';
import { RedisFixedWindow } from '../shared/redis-fixed-window.js';
import { LandmarkService } from './landmark-service.js';
import { MessageLogView } from './message-log-view.js';
import { MessageService } from './message-service.js';
import { MessageLogWriter } from '../shared/message-log/message-log-writer.js';
import { openApiDocument } from './openapi-document.js';
import { defaultFeedStreamTiming } from './feed-stream.js';
import type { FeedStreamTiming } from './feed-stream.js';
import { FeedTokens } from './feed-token.js';
import { PortalFiles, portalFolder } from './portal-files.js';
import { addPortalRoutes } from './portal-routes.js';
import { RedisDeliveryFeed } from './redis-delivery-feed.js';
import { AuditLogReader } from './audit-log-reader.js';
import { RecoveryService } from './recovery-service.js';
import { ReplayService } from './replay-service.js';
import { SubscriptionRepository } from './subscription-repository.js';
import { SubscriptionService } from './subscription-service.js';
import { VerificationFailureNotifier } from './verification-failure-notifier.js';
import { VehicleStateService } from './vehicle-state-service.js';
import { VehicleStateRegistry } from '../shared/vehicles/vehicle-state-registry.js';


/** The topics an admin API instance reads or writes (it waits for them at start-up). */
export const adminTopicIds = ['webhook.subscriptions', 'webhook.failures', 'webhook.alert-confirmations', 'fleet.landmarks', 'webhook.audit', 'webhook.parked', 'vehicle.state', 'webhook.messages',
  'webhook.replays', 'telemetry.gps', 'telemetry.dtc', 'telemetry.events'] as const;
export interface AdminApp {
  readonly port: number;
  readonly catalogue: SubscriptionCatalogue;
  readonly landmarks: LandmarkRegistry;
  readonly topic: string;
  close(): Promise<void>;
}

/**
 * Wires the admin API from a config and a Kafka client and starts it: catalogue first
 * (so `/readyz` and reads are correct), then the producer, then the HTTP listener.
 */
export async function startAdminApp(options: {
  config: AdminConfig;
  kafka: KafkaClient;
  logger: Logger;
  statusSource?: DeliveryStatusSource;
  /** main.ts passes prom-client's global registry (with process metrics); tests get their own. */
  metricsRegistry?: Registry;
  /** Shared counters (rate limits); main.ts passes its client, otherwise the app connects its own to `redisUrl`. */
  redis?: Redis;
  now?: () => Date;
  /** How often the live feed polls Redis and how long a stream lasts (tests shorten them). */
  feedTiming?: FeedStreamTiming;
}): Promise<AdminApp> {
  const { config, kafka, logger } = options;
  const now = options.now ?? (() => new Date());
  const topics = topicCatalogue({ prefix: config.topicPrefix });
  const topic = topics.get('webhook.subscriptions').name;
  const failuresTopic = topics.get('webhook.failures').name;
  const confirmationsTopic = topics.get('webhook.alert-confirmations').name;
  const catalogue = new SubscriptionCatalogue({ kafka, topic, logger, groupIdPrefix: `fleethook-admin-${hostname()}` });
  const landmarks = new LandmarkRegistry({ kafka, topic: topics.get('fleet.landmarks').name, logger, groupIdPrefix: `fleethook-admin-landmarks-${hostname()}` });
  const vehicles = new VehicleStateRegistry({ kafka, topic: topics.get('vehicle.state').name, logger, groupIdPrefix: `fleethook-admin-vehicles-${hostname()}` });
  const messageLogTopic = topics.get('webhook.messages').name;
  const messageLog = new MessageLogView({
    kafka, topic: messageLogTopic, logger, groupIdPrefix: `fleethook-admin-messages-${hostname()}`,
    maxMessages: config.messageLogMaxMessages, bodyCacheBytes: config.messageLogBodyCacheBytes, readTimeoutMs: config.readTimeoutMs,
  });
  const producer: RecordProducer = kafka.producer();
  // Its own producer: a failure-event write still retrying after its deadline never queues subscription writes behind it.
  const failuresProducer: RecordProducer = kafka.producer();
  const box = new SecretBox(config.encryptionKeys, config.activeKeyId);
  const guard = new SsrfGuard(config.allowList);
  const agent = createGuardedAgent(guard, { connectTimeoutMs: config.endpointTimeoutMs });
  await catalogue.start();
  await landmarks.start();
  await vehicles.start();
  // Not awaited: a week of requests takes a while to read, and only the delivery-log routes need
  // it (they answer 503 until it has caught up); the rest of the API is ready without it.
  messageLog.start(30 * 60_000).catch((err: unknown) => logger.error('delivery log not available', { topic: messageLogTopic, err }));
  await producer.connect();
  await failuresProducer.connect();
  const ownRedis = options.redis === undefined;
  const redis = options.redis ?? new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  if (ownRedis) {
    redis.on('error', (err: unknown) => logger.warn('redis unavailable', { err }));
    await redis.connect().catch(() => undefined);
  }
  const repository = new SubscriptionRepository(catalogue, new SubscriptionWriter(producer, topic), config.readTimeoutMs);
  const metrics = createAdminMetrics(options.metricsRegistry);
  // Confirmation requests share the failure-event producer: both are small, bounded writes for the alerter.
  const confirmations = new AlertConfirmationRequests({
    producer: failuresProducer, topic: confirmationsTopic, publicUrl: config.publicUrl, ttlMs: config.alertConfirmationTtlMs,
    timeoutMs: config.failureEventTimeoutMs, logger, count: (outcome) => metrics.confirmationRequestWrite(outcome),
  });
  const service = new SubscriptionService({
    repository, box, guard, urlPolicy: { allowHttp: config.allowHttp, allowedPorts: config.allowedPorts },
    maxSubscriptionsPerAccount: config.maxSubscriptionsPerAccount, secretGraceMs: config.secretGraceMs, now, confirmations,
    landmarkOwner: (landmarkId) => landmarks.get(landmarkId)?.accountId,
  });
  const limiter = new EndpointCallLimiter({
    window: new RedisFixedWindow(redis), keyPrefix: config.redisKeyPrefix, logger,
    limits: { verify: config.verifyLimit, test: config.testEventLimit, windowMs: config.rateLimitWindowMs },
    count: (call, outcome) => metrics.rateLimitCheck(call, outcome),
  });
  const failures = new VerificationFailureNotifier({
    emitter: new FailureEventEmitter(failuresProducer, failuresTopic), topic: failuresTopic,
    timeoutMs: config.failureEventTimeoutMs, logger, count: (outcome) => metrics.failureEventWrite(outcome),
  });
  const feed = new RedisDeliveryFeed(redis, config.redisKeyPrefix, logger);
  const actions = new EndpointActions({ service, box, agent, timeoutMs: config.endpointTimeoutMs, now, failures, limiter, feed });
  const activeKey = config.encryptionKeys.find((k) => k.keyId === config.activeKeyId)?.key ?? Buffer.alloc(32);
  const files = PortalFiles.load();
  if (files.totalBytes() === 0) logger.warn('the portal\'s files are missing; /portal/ answers 404', { folder: portalFolder });
  const portal = { service, files, feed, tokens: new FeedTokens(activeKey), timing: options.feedTiming ?? defaultFeedStreamTiming, now };
  const recoveries = new RecoveryService({
    service, producer, redis, redisKeyPrefix: config.redisKeyPrefix, logger, now, ownerWaitMs: config.readTimeoutMs,
    audit: new AuditLogReader({ kafka, topic: topics.get('webhook.audit').name, timeoutMs: config.auditReadTimeoutMs }),
    topics: { parked: topics.get('webhook.parked').name, audit: topics.get('webhook.audit').name },
  });
  const replays = new ReplayService({
    service, kafka, producer, redis, redisKeyPrefix: config.redisKeyPrefix, logger, now,
    topics: { replays: topics.get('webhook.replays').name, telemetry: { gps: topics.get('telemetry.gps').name, dtc: topics.get('telemetry.dtc').name, event: topics.get('telemetry.events').name } },
  });
  const routes = addPortalRoutes(adminRoutes({
    service, actions, landmarks: new LandmarkService({
      registry: landmarks, writer: new LandmarkWriter(producer, topics.get('fleet.landmarks').name),
      maxLandmarksPerAccount: config.maxLandmarksPerAccount, readTimeoutMs: config.readTimeoutMs, now,
    }),
    vehicles: new VehicleStateService(vehicles, config.readTimeoutMs),
    confirmer: new AlertEmailConfirmer({ repository, now }), status: options.statusSource ?? noDeliveryStatus, recoveries, replays,
    messages: new MessageService({
      view: messageLog, service, box, agent, timeoutMs: config.endpointTimeoutMs, limiter, logger, now,
      // A resend's attempt shares the failure-event producer: a small, bounded write that must not queue subscription writes.
      log: new MessageLogWriter(failuresProducer, messageLogTopic),
    }),
    isReady: () => catalogue.ready() && landmarks.ready() && vehicles.ready(),
    metricsText: async () => ({ text: await metrics.registry.metrics(), contentType: metrics.registry.contentType }),
    openapi: () => openApiDocument,
  }), portal);
  const server = new AdminServer({
    routes, authenticator: new ApiKeyAuthenticator(config.accountKeys, config.operatorKey), metrics, logger,
    bodyLimitBytes: config.bodyLimitBytes, maxConnections: config.maxConnections,
  });
  const port = await server.listen(config.port, config.host);
  logger.info('admin API listening', { port, topic, failuresTopic });
  let closing: Promise<void> | undefined;
  return {
    port, catalogue, landmarks, topic,
    close: () => (closing ??= (async () => {
      await server.close();
      await producer.disconnect().catch(() => undefined);
      await failuresProducer.disconnect().catch(() => undefined);
      await catalogue.close();
      await landmarks.close();
      await vehicles.close();
      await messageLog.close();
      await agent.close();
      if (ownRedis) redis.disconnect();
    })()),
  };
}
