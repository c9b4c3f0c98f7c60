import { EnvReader } from '../shared/env-reader.js';
import type { LogLevel } from '../shared/logger.js';
import { readListenConfig, readLogLevel, readRedisConfig, readServiceKafkaConfig } from '../shared/runtime/common-config.js';
import type { ListenConfig, RedisConfig, ServiceKafkaConfig } from '../shared/runtime/common-config.js';

export const smtpTlsModes = ['none', 'starttls', 'tls'] as const;
/** `none`: plain SMTP, never upgraded; `starttls`: STARTTLS required; `tls`: implicit TLS (port 465). */
export type SmtpTlsMode = (typeof smtpTlsModes)[number];

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: SmtpTlsMode;
  /** Both or neither; the password is never logged. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly from: string;
  readonly connectionTimeoutMs: number;
  readonly socketTimeoutMs: number;
}

/** The shared blocks (Kafka, Redis, the ops listener) and the alerter's own settings. */
export interface AlerterConfig extends ServiceKafkaConfig, RedisConfig, ListenConfig {
  readonly groupId: string;
  readonly smtp: SmtpConfig;
  /** A reminder this long after the failures began, and every this long after (wall clock). */
  readonly reminderIntervalMs: number;
  /** How often the timer looks for due reminders. */
  readonly reminderCheckMs: number;
  /** Backoff between attempts while SMTP (or Redis) fails transiently. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** How long a claim on an alert lives: longer than one SMTP send can take. */
  readonly claimTtlMs: number;
  /** How long "sent" marks are kept: the failures topic's retention. */
  readonly sentMarkTtlMs: number;
  readonly sessionTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** Links in e-mails to the operator's admin console or docs, optional. */
  readonly consoleUrl: string | undefined;
  /** Alerts go only to addresses their holders confirmed (read from the subscriptions topic); off = every listed address. */
  readonly requireConfirmation: boolean;
  /** Alert e-mails per recipient address per cap window, across instances. */
  readonly addressCap: number;
  /** Confirmation e-mails per recipient address per cap window (counted apart from alerts). */
  readonly confirmationCap: number;
  readonly addressCapWindowMs: number;
  /** The group reading `webhook.alert-confirmations`. */
  readonly confirmationsGroupId: string;
  /** How long a confirmation check may wait for the subscription catalogue to catch up. */
  readonly catalogueCatchUpMs: number;
  readonly logLevel: LogLevel;
}

export const alerterDefaults = {
  groupId: 'fleethook-alerter',
  host: '0.0.0.0',
  port: 9091,
  smtpHost: '127.0.0.1',
  smtpPort: 11_025,
  smtpTls: 'none',
  from: 'fleethook alerts <alerts@fleethook.local>',
  connectionTimeoutMs: 10_000,
  socketTimeoutMs: 30_000,
  reminderIntervalMs: 3_600_000,
  reminderCheckMs: 30_000,
  retryMinMs: 500,
  retryMaxMs: 60_000,
  claimTtlMs: 120_000,
  sentMarkTtlMs: 8 * 86_400_000,
  sessionTimeoutMs: 30_000,
  shutdownGraceMs: 5_000,
  requireConfirmation: true,
  addressCap: 20,
  confirmationCap: 3,
  addressCapWindowMs: 3_600_000,
  catalogueCatchUpMs: 5_000,
} as const;

/**
 * Shared: `FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_REDIS_URL`, `FLEETHOOK_REDIS_KEY_PREFIX`,
 * `FLEETHOOK_TOPIC_PREFIX`. Alerter-only ones start with `FLEETHOOK_ALERTER_`: GROUP_ID, HOST,
 * PORT, SMTP_HOST, SMTP_PORT, SMTP_TLS (none | starttls | tls), SMTP_USER, SMTP_PASSWORD,
 * FROM, SMTP_CONNECTION_TIMEOUT_MS, SMTP_SOCKET_TIMEOUT_MS, REMINDER_INTERVAL_MS,
 * REMINDER_CHECK_MS, RETRY_MIN_MS, RETRY_MAX_MS, CLAIM_TTL_MS, SENT_MARK_TTL_MS,
 * SESSION_TIMEOUT_MS, SHUTDOWN_GRACE_MS, CONSOLE_URL, REQUIRE_CONFIRMATION, ADDRESS_CAP,
 * CONFIRMATION_CAP, ADDRESS_CAP_WINDOW_MS, CONFIRMATIONS_GROUP_ID (default `<GROUP_ID>-confirmations`),
 * CATALOGUE_CATCH_UP_MS, LOG_LEVEL.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): AlerterConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = alerterDefaults;
  const user = r.optionalString('ALERTER_SMTP_USER');
  const password = r.optionalString('ALERTER_SMTP_PASSWORD');
  if ((user === undefined) !== (password === undefined)) r.problem('FLEETHOOK_ALERTER_SMTP_USER and FLEETHOOK_ALERTER_SMTP_PASSWORD go together');
  const groupId = r.string('ALERTER_GROUP_ID', d.groupId);
  const reminderIntervalMs = r.int('ALERTER_REMINDER_INTERVAL_MS', d.reminderIntervalMs, { min: 100, max: 7 * 86_400_000 });
  const config: AlerterConfig = {
    ...readServiceKafkaConfig(r),
    ...readRedisConfig(r),
    groupId,
    ...readListenConfig(r, 'ALERTER', d),
    smtp: {
      host: r.string('ALERTER_SMTP_HOST', d.smtpHost),
      port: r.int('ALERTER_SMTP_PORT', d.smtpPort, { min: 1, max: 65_535 }),
      tls: r.oneOf('ALERTER_SMTP_TLS', smtpTlsModes, d.smtpTls),
      user,
      password,
      from: r.string('ALERTER_FROM', d.from),
      connectionTimeoutMs: r.int('ALERTER_SMTP_CONNECTION_TIMEOUT_MS', d.connectionTimeoutMs, { min: 100, max: 120_000 }),
      socketTimeoutMs: r.int('ALERTER_SMTP_SOCKET_TIMEOUT_MS', d.socketTimeoutMs, { min: 100, max: 300_000 }),
    },
    reminderIntervalMs,
    reminderCheckMs: r.int('ALERTER_REMINDER_CHECK_MS', Math.min(d.reminderCheckMs, Math.max(50, Math.floor(reminderIntervalMs / 10))), { min: 10, max: 600_000 }),
    retryMinMs: r.int('ALERTER_RETRY_MIN_MS', d.retryMinMs, { min: 10, max: 600_000 }),
    retryMaxMs: r.int('ALERTER_RETRY_MAX_MS', d.retryMaxMs, { min: 10, max: 3_600_000 }),
    claimTtlMs: r.int('ALERTER_CLAIM_TTL_MS', d.claimTtlMs, { min: 1_000, max: 3_600_000 }),
    sentMarkTtlMs: r.int('ALERTER_SENT_MARK_TTL_MS', d.sentMarkTtlMs, { min: 60_000, max: 90 * 86_400_000 }),
    sessionTimeoutMs: r.int('ALERTER_SESSION_TIMEOUT_MS', d.sessionTimeoutMs, { min: 6_000, max: 300_000 }),
    shutdownGraceMs: r.int('ALERTER_SHUTDOWN_GRACE_MS', d.shutdownGraceMs, { min: 0, max: 60_000 }),
    consoleUrl: r.optionalString('ALERTER_CONSOLE_URL'),
    requireConfirmation: r.bool('ALERTER_REQUIRE_CONFIRMATION', d.requireConfirmation),
    addressCap: r.int('ALERTER_ADDRESS_CAP', d.addressCap, { min: 1, max: 100_000 }),
    confirmationCap: r.int('ALERTER_CONFIRMATION_CAP', d.confirmationCap, { min: 1, max: 1_000 }),
    addressCapWindowMs: r.int('ALERTER_ADDRESS_CAP_WINDOW_MS', d.addressCapWindowMs, { min: 1_000, max: 86_400_000 }),
    confirmationsGroupId: r.string('ALERTER_CONFIRMATIONS_GROUP_ID', `${groupId}-confirmations`),
    catalogueCatchUpMs: r.int('ALERTER_CATALOGUE_CATCH_UP_MS', d.catalogueCatchUpMs, { min: 100, max: 60_000 }),
    logLevel: readLogLevel(r, 'ALERTER'),
  };
  if (config.retryMaxMs < config.retryMinMs) r.problem('FLEETHOOK_ALERTER_RETRY_MAX_MS must be >= FLEETHOOK_ALERTER_RETRY_MIN_MS');
  if (config.claimTtlMs <= config.smtp.connectionTimeoutMs + config.smtp.socketTimeoutMs) {
    r.problem('FLEETHOOK_ALERTER_CLAIM_TTL_MS must exceed the SMTP connection + socket timeouts (a claim must outlive one send)');
  }
  r.finish();
  return config;
}
