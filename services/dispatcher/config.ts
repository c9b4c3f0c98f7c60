import { EnvReader } from '../shared/env-reader.js';
import type { LogLevel } from '../shared/logger.js';
import {
  readListenConfig, readLogLevel, readRedisConfig, readSchemaRegistryUrl, readSecretKeys, readServiceKafkaConfig,
} from '../shared/runtime/common-config.js';
import type { ListenConfig, RedisConfig, SecretKeysConfig, ServiceKafkaConfig } from '../shared/runtime/common-config.js';
import { AddressAllowList } from '../shared/ssrf/address-allow-list.js';

/** The shared blocks (Kafka, registry, Redis, secret keys, the ops listener) and the dispatcher's own settings. */
export interface DispatcherConfig extends ServiceKafkaConfig, RedisConfig, SecretKeysConfig, ListenConfig {
  readonly schemaRegistryUrl: string;
  readonly groupId: string;
  readonly allowList: AddressAllowList;
  readonly maxInFlight: number;
  readonly connectionsPerOrigin: number;
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly quickRetryDelaysMs: readonly number[];
  readonly maxRetryDelayMs: number;
  /** Multiplies every retry-policy duration (tier delays and limits); 1 = real time, tests compress 7 days into seconds. */
  readonly retryTimeScale: number;
  readonly maxOpenItemsPerPartition: number;
  /** Records below a new owner's committed offset read back for their telemetry origins (ARCHITECTURE, the Redis bound). */
  readonly originLookbackRecords: number;
  readonly commitIntervalMs: number;
  readonly flushTickMs: number;
  /** A draining subscription whose drain finished no item this long is logged with what holds it. */
  readonly drainStallWarnMs: number;
  readonly shutdownGraceMs: number;
  /** How long requests in flight at a shutdown may take before the deliveries partitions are handed over (cut ones go again at the next owner, same webhook-id). */
  readonly handoverGraceMs: number;
  readonly sessionTimeoutMs: number;
  /** The match stage dead-letters records older than this or further ahead of now than `maxRecordAheadMs`. */
  readonly maxRecordAgeMs: number;
  readonly maxRecordAheadMs: number;
  /** Supervision of the consumers: restart backoff after a crash, and when a partition counts as stalled (/readyz). */
  readonly consumerRestartMinMs: number;
  readonly consumerRestartMaxMs: number;
  readonly stallAfterMs: number;
  /** Replays (issue 15): the instance's budget of replay requests a second, how far around [from, to] telemetry is read by Kafka time, offsets read per chunk. */
  readonly replayRequestsPerSecond: number;
  readonly replayMarginMs: number;
  readonly replayChunkOffsets: number;
  readonly logLevel: LogLevel;
}

export const dispatcherDefaults = {
  groupId: 'fleethook-dispatcher',
  host: '0.0.0.0',
  port: 9090,
  allowAddresses: [] as string[],
  maxInFlight: 1_000,
  connectionsPerOrigin: 128,
  requestTimeoutMs: 15_000,
  maxResponseBytes: 4_096,
  quickRetryDelaysMs: [200, 1_000, 3_000],
  maxRetryDelayMs: 60_000,
  retryTimeScale: 1,
  maxOpenItemsPerPartition: 50_000,
  originLookbackRecords: 10_000,
  commitIntervalMs: 1_000,
  flushTickMs: 50,
  drainStallWarnMs: 90_000,
  shutdownGraceMs: 5_000,
  handoverGraceMs: 1_000,
  sessionTimeoutMs: 8_000,
  maxRecordAgeMs: 30 * 86_400_000,
  maxRecordAheadMs: 3_600_000,
  consumerRestartMinMs: 1_000,
  consumerRestartMaxMs: 30_000,
  stallAfterMs: 60_000,
  replayRequestsPerSecond: 20,
  replayMarginMs: 3_600_000,
  replayChunkOffsets: 500,
} as const;

/**
 * Shared names: `FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_SCHEMA_REGISTRY_URL`,
 * `FLEETHOOK_REDIS_URL`, `FLEETHOOK_TOPIC_PREFIX`, `FLEETHOOK_SECRET_KEYS`,
 * `FLEETHOOK_SECRET_ACTIVE_KEY_ID`, `FLEETHOOK_REDIS_KEY_PREFIX`. Dispatcher-only ones
 * start with `FLEETHOOK_DISPATCHER_`: GROUP_ID, HOST, PORT, ALLOW_ADDRESSES (CIDRs/hosts
 * exempt from the SSRF guard), MAX_IN_FLIGHT, CONNECTIONS_PER_ORIGIN (keep-alive sockets per
 * endpoint origin; a burst of batch flushes queues instead of opening a socket each), REQUEST_TIMEOUT_MS, MAX_RESPONSE_BYTES,
 * QUICK_RETRY_DELAYS_MS (comma list), MAX_RETRY_DELAY_MS, MAX_OPEN_ITEMS_PER_PARTITION,
 * ORIGIN_LOOKBACK_RECORDS (per deliveries partition a new owner takes, how many records below its committed
 * offset it reads back for their telemetry origins only, so re-processed copies of them are skipped without Redis; 0: none),
 * COMMIT_INTERVAL_MS, FLUSH_TICK_MS, DRAIN_STALL_WARN_MS (a draining backlog that finished no item this long is logged, with what holds it), RETRY_TIME_SCALE (a factor in (0, 1] applied to every
 * retry-policy duration, e.g. 0.00002 runs the 7-day schedule in about 12 s), SHUTDOWN_GRACE_MS, HANDOVER_GRACE_MS (how long requests in flight
 * at a shutdown may take before the deliveries partitions are handed over; default 1 s, a slower one is
 * cut and sent again by the next owner under the same webhook-id), SESSION_TIMEOUT_MS (how long a dead
 * instance keeps its partitions), MAX_RECORD_AGE_MS and MAX_RECORD_AHEAD_MS (telemetry times
 * accepted by the match stage, default 30 days back and 1 hour ahead of now; others are
 * dead-lettered), CONSUMER_RESTART_MIN_MS / CONSUMER_RESTART_MAX_MS (backoff before a crashed
 * consumer is restarted), STALL_AFTER_MS (a partition with records to read and no commit for
 * this long makes /readyz fail), REPLAY_REQUESTS_PER_SECOND (all replays of an instance together,
 * so live delivery keeps the rest), REPLAY_MARGIN_MS (telemetry read by Kafka time this far
 * before `from` and after `to`; record times decide), REPLAY_CHUNK_OFFSETS, LOG_LEVEL.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): DispatcherConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = dispatcherDefaults;
  const allow = AddressAllowList.parse(r.list('DISPATCHER_ALLOW_ADDRESSES', d.allowAddresses));
  allow.problems.forEach((p) => r.problem(`FLEETHOOK_DISPATCHER_ALLOW_ADDRESSES: ${p}`));
  const quick = r.list('DISPATCHER_QUICK_RETRY_DELAYS_MS', d.quickRetryDelaysMs.map(String)).map(Number);
  if (quick.some((n) => !Number.isInteger(n) || n < 0)) r.problem('FLEETHOOK_DISPATCHER_QUICK_RETRY_DELAYS_MS must list non-negative integers');
  const retryTimeScale = Number(r.string('DISPATCHER_RETRY_TIME_SCALE', String(d.retryTimeScale)));
  if (!Number.isFinite(retryTimeScale) || retryTimeScale <= 0 || retryTimeScale > 1) {
    r.problem('FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE must be a number greater than 0 and at most 1');
  }
  const config: DispatcherConfig = {
    ...readServiceKafkaConfig(r),
    schemaRegistryUrl: readSchemaRegistryUrl(r),
    ...readRedisConfig(r),
    ...readSecretKeys(r),
    groupId: r.string('DISPATCHER_GROUP_ID', d.groupId),
    ...readListenConfig(r, 'DISPATCHER', d),
    allowList: allow.allowList,
    maxInFlight: r.int('DISPATCHER_MAX_IN_FLIGHT', d.maxInFlight, { min: 1, max: 100_000 }),
    connectionsPerOrigin: r.int('DISPATCHER_CONNECTIONS_PER_ORIGIN', d.connectionsPerOrigin, { min: 1, max: 10_000 }),
    requestTimeoutMs: r.int('DISPATCHER_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, { min: 100, max: 120_000 }),
    maxResponseBytes: r.int('DISPATCHER_MAX_RESPONSE_BYTES', d.maxResponseBytes, { min: 0, max: 1_048_576 }),
    quickRetryDelaysMs: quick,
    maxRetryDelayMs: r.int('DISPATCHER_MAX_RETRY_DELAY_MS', d.maxRetryDelayMs, { min: 10, max: 3_600_000 }),
    retryTimeScale,
    maxOpenItemsPerPartition: r.int('DISPATCHER_MAX_OPEN_ITEMS_PER_PARTITION', d.maxOpenItemsPerPartition, { min: 10, max: 10_000_000 }),
    originLookbackRecords: r.int('DISPATCHER_ORIGIN_LOOKBACK_RECORDS', d.originLookbackRecords, { min: 0, max: 10_000_000 }),
    commitIntervalMs: r.int('DISPATCHER_COMMIT_INTERVAL_MS', d.commitIntervalMs, { min: 10, max: 60_000 }),
    flushTickMs: r.int('DISPATCHER_FLUSH_TICK_MS', d.flushTickMs, { min: 5, max: 1_000 }),
    drainStallWarnMs: r.int('DISPATCHER_DRAIN_STALL_WARN_MS', d.drainStallWarnMs, { min: 1_000, max: 86_400_000 }),
    shutdownGraceMs: r.int('DISPATCHER_SHUTDOWN_GRACE_MS', d.shutdownGraceMs, { min: 0, max: 60_000 }),
    handoverGraceMs: r.int('DISPATCHER_HANDOVER_GRACE_MS', d.handoverGraceMs, { min: 0, max: 60_000 }),
    sessionTimeoutMs: r.int('DISPATCHER_SESSION_TIMEOUT_MS', d.sessionTimeoutMs, { min: 6_000, max: 300_000 }),
    maxRecordAgeMs: r.int('DISPATCHER_MAX_RECORD_AGE_MS', d.maxRecordAgeMs, { min: 60_000, max: 3_650 * 86_400_000 }),
    maxRecordAheadMs: r.int('DISPATCHER_MAX_RECORD_AHEAD_MS', d.maxRecordAheadMs, { min: 0, max: 7 * 86_400_000 }),
    consumerRestartMinMs: r.int('DISPATCHER_CONSUMER_RESTART_MIN_MS', d.consumerRestartMinMs, { min: 10, max: 600_000 }),
    consumerRestartMaxMs: r.int('DISPATCHER_CONSUMER_RESTART_MAX_MS', d.consumerRestartMaxMs, { min: 10, max: 600_000 }),
    stallAfterMs: r.int('DISPATCHER_STALL_AFTER_MS', d.stallAfterMs, { min: 1_000, max: 3_600_000 }),
    replayRequestsPerSecond: r.int('DISPATCHER_REPLAY_REQUESTS_PER_SECOND', d.replayRequestsPerSecond, { min: 1, max: 10_000 }),
    replayMarginMs: r.int('DISPATCHER_REPLAY_MARGIN_MS', d.replayMarginMs, { min: 0, max: 7 * 86_400_000 }),
    replayChunkOffsets: r.int('DISPATCHER_REPLAY_CHUNK_OFFSETS', d.replayChunkOffsets, { min: 1, max: 100_000 }),
    logLevel: readLogLevel(r, 'DISPATCHER'),
  };
  if (config.consumerRestartMaxMs < config.consumerRestartMinMs) {
    r.problem('FLEETHOOK_DISPATCHER_CONSUMER_RESTART_MAX_MS must be at least FLEETHOOK_DISPATCHER_CONSUMER_RESTART_MIN_MS');
  }
  r.finish();
  return config;
}
