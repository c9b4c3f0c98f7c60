import { EnvReader } from '../shared/env-reader.js';
import type { LogLevel } from '../shared/logger.js';
import { readListenConfig, readLogLevel, readRedisConfig, readSecretKeys, readServiceKafkaConfig } from '../shared/runtime/common-config.js';
import type { ListenConfig, RedisConfig, SecretKeysConfig, ServiceKafkaConfig } from '../shared/runtime/common-config.js';
import { AddressAllowList } from '../shared/ssrf/address-allow-list.js';
import { AllowedPorts } from '../shared/subscriptions/allowed-ports.js';
import { isAccountId } from '../shared/subscriptions/subscription-ids.js';

export interface AccountKey {
  readonly accountId: string;
  readonly key: string;
}

/** The shared blocks (Kafka, Redis — where the dispatcher keeps delivery counters, read-only here —, secret keys, the listener) and the admin API's own settings. */
export interface AdminConfig extends ServiceKafkaConfig, RedisConfig, SecretKeysConfig, ListenConfig {
  readonly accountKeys: readonly AccountKey[];
  readonly operatorKey: string | null;
  readonly allowHttp: boolean;
  readonly allowList: AddressAllowList;
  /** Ports endpoint URLs may name; others are refused with 422 url_not_allowed. */
  readonly allowedPorts: AllowedPorts;
  /** Subscriptions one account may hold; one more is refused with 422 subscription_limit_reached. */
  readonly maxSubscriptionsPerAccount: number;
  /** Landmarks one account may hold; one more is refused with 422 landmark_limit_reached. */
  readonly maxLandmarksPerAccount: number;
  /** Concurrent connections to the admin API; more are refused, which bounds in-flight work and per-request state. */
  readonly maxConnections: number;
  readonly bodyLimitBytes: number;
  readonly secretGraceMs: number;
  readonly endpointTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** How long a recover may take to read the subscription's records of `webhook.audit` (503 past it). */
  readonly auditReadTimeoutMs: number;
  /** How long a failed verify waits for its `webhook.failures` event to be acknowledged before answering anyway. */
  readonly failureEventTimeoutMs: number;
  /** Verify calls per subscription per rate-limit window, across instances. */
  readonly verifyLimit: number;
  /** Test-event calls per subscription per rate-limit window, across instances. */
  readonly testEventLimit: number;
  readonly rateLimitWindowMs: number;
  /** The admin API's address as people reach it; alert-address confirmation links point here. */
  readonly publicUrl: string;
  /** How long an alert-address confirmation link works. */
  readonly alertConfirmationTtlMs: number;
  /** The delivery log in memory: at most this many requests (the oldest read dropped first) … */
  readonly messageLogMaxMessages: number;
  /** … and this many bytes of their bodies (older ones are read back from `webhook.messages` when asked for). */
  readonly messageLogBodyCacheBytes: number;
  readonly logLevel: LogLevel;
}

export const adminDefaults = {
  host: '0.0.0.0',
  port: 8080,
  allowHttp: false,
  allowAddresses: [] as string[],
  allowedPorts: ['443', '80', '8443', '8080'],
  maxSubscriptionsPerAccount: 100,
  maxLandmarksPerAccount: 20_000,
  maxConnections: 1_000,
  bodyLimitBytes: 65_536,
  secretGraceMs: 86_400_000,
  endpointTimeoutMs: 10_000,
  readTimeoutMs: 5_000,
  auditReadTimeoutMs: 30_000,
  failureEventTimeoutMs: 3_000,
  verifyLimit: 5,
  testEventLimit: 5,
  rateLimitWindowMs: 60_000,
  publicUrl: 'http://127.0.0.1:8080',
  alertConfirmationTtlMs: 7 * 86_400_000,
  messageLogMaxMessages: 200_000,
  messageLogBodyCacheBytes: 128 * 1_048_576,
} as const;

const minKeyLength = 16;

/**
 * Shared names (`FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_TOPIC_PREFIX`,
 * `FLEETHOOK_SECRET_KEYS` = `kid:base64-32-bytes,…`, `FLEETHOOK_SECRET_ACTIVE_KEY_ID`,
 * `FLEETHOOK_REDIS_URL`, `FLEETHOOK_REDIS_KEY_PREFIX`)
 * are read by every service that touches subscriptions; admin-only ones start with
 * `FLEETHOOK_ADMIN_`: PORT, HOST, ACCOUNT_KEYS (`acc_a:key,acc_b:key`), OPERATOR_KEY,
 * ALLOW_HTTP, ALLOW_ADDRESSES (CIDRs/hosts), ALLOWED_PORTS (`443,80,8000-8999`),
 * MAX_SUBSCRIPTIONS_PER_ACCOUNT, MAX_LANDMARKS_PER_ACCOUNT, MAX_CONNECTIONS, BODY_LIMIT_BYTES, SECRET_GRACE_MS,
 * ENDPOINT_TIMEOUT_MS, READ_TIMEOUT_MS, FAILURE_EVENT_TIMEOUT_MS, VERIFY_LIMIT, TEST_EVENT_LIMIT,
 * RATE_LIMIT_WINDOW_MS, PUBLIC_URL, ALERT_CONFIRMATION_TTL_MS, MESSAGE_LOG_MAX_MESSAGES,
 * MESSAGE_LOG_BODY_CACHE_BYTES, LOG_LEVEL.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): AdminConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = adminDefaults;
  const allow = AddressAllowList.parse(r.list('ADMIN_ALLOW_ADDRESSES', d.allowAddresses));
  allow.problems.forEach((p) => r.problem(`FLEETHOOK_ADMIN_ALLOW_ADDRESSES: ${p}`));
  const ports = AllowedPorts.parse(r.list('ADMIN_ALLOWED_PORTS', d.allowedPorts));
  ports.problems.forEach((p) => r.problem(`FLEETHOOK_ADMIN_ALLOWED_PORTS: ${p}`));
  const operatorKey = r.optionalString('ADMIN_OPERATOR_KEY') ?? null;
  if (operatorKey !== null && operatorKey.length < minKeyLength) r.problem(`FLEETHOOK_ADMIN_OPERATOR_KEY must have at least ${minKeyLength} characters`);
  const config: AdminConfig = {
    ...readListenConfig(r, 'ADMIN', d),
    ...readServiceKafkaConfig(r),
    accountKeys: parseAccountKeys(r, r.list('ADMIN_ACCOUNT_KEYS', [])),
    operatorKey,
    ...readSecretKeys(r),
    allowHttp: r.bool('ADMIN_ALLOW_HTTP', d.allowHttp),
    allowList: allow.allowList,
    allowedPorts: ports.ports,
    maxSubscriptionsPerAccount: r.int('ADMIN_MAX_SUBSCRIPTIONS_PER_ACCOUNT', d.maxSubscriptionsPerAccount, { min: 1, max: 100_000 }),
    maxLandmarksPerAccount: r.int('ADMIN_MAX_LANDMARKS_PER_ACCOUNT', d.maxLandmarksPerAccount, { min: 1, max: 1_000_000 }),
    maxConnections: r.int('ADMIN_MAX_CONNECTIONS', d.maxConnections, { min: 1, max: 100_000 }),
    bodyLimitBytes: r.int('ADMIN_BODY_LIMIT_BYTES', d.bodyLimitBytes, { min: 1_024, max: 10_485_760 }),
    secretGraceMs: r.int('ADMIN_SECRET_GRACE_MS', d.secretGraceMs, { min: 0, max: 30 * 86_400_000 }),
    endpointTimeoutMs: r.int('ADMIN_ENDPOINT_TIMEOUT_MS', d.endpointTimeoutMs, { min: 100, max: 60_000 }),
    readTimeoutMs: r.int('ADMIN_READ_TIMEOUT_MS', d.readTimeoutMs, { min: 100, max: 60_000 }),
    auditReadTimeoutMs: r.int('ADMIN_AUDIT_READ_TIMEOUT_MS', d.auditReadTimeoutMs, { min: 1_000, max: 600_000 }),
    failureEventTimeoutMs: r.int('ADMIN_FAILURE_EVENT_TIMEOUT_MS', d.failureEventTimeoutMs, { min: 100, max: 60_000 }),
    ...readRedisConfig(r),
    verifyLimit: r.int('ADMIN_VERIFY_LIMIT', d.verifyLimit, { min: 1, max: 10_000 }),
    testEventLimit: r.int('ADMIN_TEST_EVENT_LIMIT', d.testEventLimit, { min: 1, max: 10_000 }),
    rateLimitWindowMs: r.int('ADMIN_RATE_LIMIT_WINDOW_MS', d.rateLimitWindowMs, { min: 1_000, max: 86_400_000 }),
    publicUrl: r.string('ADMIN_PUBLIC_URL', d.publicUrl),
    alertConfirmationTtlMs: r.int('ADMIN_ALERT_CONFIRMATION_TTL_MS', d.alertConfirmationTtlMs, { min: 1_000, max: 30 * 86_400_000 }),
    messageLogMaxMessages: r.int('ADMIN_MESSAGE_LOG_MAX_MESSAGES', d.messageLogMaxMessages, { min: 1, max: 100_000_000 }),
    messageLogBodyCacheBytes: r.int('ADMIN_MESSAGE_LOG_BODY_CACHE_BYTES', d.messageLogBodyCacheBytes, { min: 0, max: 64 * 1_073_741_824 }),
    logLevel: readLogLevel(r, 'ADMIN'),
  };
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(config.publicUrl)) r.problem('FLEETHOOK_ADMIN_PUBLIC_URL must be an http(s) URL without query or fragment');
  if (config.accountKeys.length === 0 && config.operatorKey === null) {
    r.problem('set FLEETHOOK_ADMIN_ACCOUNT_KEYS and/or FLEETHOOK_ADMIN_OPERATOR_KEY, or nobody can call the API');
  }
  r.finish();
  return config;
}

function parseAccountKeys(r: EnvReader, entries: readonly string[]): AccountKey[] {
  const out: AccountKey[] = [];
  for (const entry of entries) {
    const sep = entry.indexOf(':');
    const accountId = entry.slice(0, sep);
    const key = entry.slice(sep + 1);
    if (sep <= 0 || !isAccountId(accountId)) r.problem(`FLEETHOOK_ADMIN_ACCOUNT_KEYS: entry "${accountId || '?'}…" needs the form acc_<id>:<key>`);
    else if (key.length < minKeyLength) r.problem(`FLEETHOOK_ADMIN_ACCOUNT_KEYS: key of ${accountId} must have at least ${minKeyLength} characters`);
    else out.push({ accountId, key });
  }
  return out;
}
