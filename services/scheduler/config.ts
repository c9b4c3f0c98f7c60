import { EnvReader } from '../shared/env-reader.js';
import type { LogLevel } from '../shared/logger.js';
import { readListenConfig, readLogLevel, readServiceKafkaConfig } from '../shared/runtime/common-config.js';
import type { ListenConfig, ServiceKafkaConfig } from '../shared/runtime/common-config.js';
import { missedSlotRetryMs } from '../shared/schedule/cadence-slots.js';

/** The shared Kafka block, the ops listener and the scheduler's own settings. */
export interface SchedulerConfig extends ServiceKafkaConfig, ListenConfig {
  /** The group on `scheduler.slots`: the member owning its one partition is the active scheduler. */
  readonly groupId: string;
  /** How soon a standby takes over from a scheduler that died without leaving the group. */
  readonly sessionTimeoutMs: number;
  /** How often the active scheduler looks for due slots. */
  readonly tickMs: number;
  /**
   * Schedule time runs this many times faster than the clock (tests and demos only: 30 makes
   * a 1-minute cadence fire every 2 s). Slots, the 15-minute retry step and the catch-up
   * window are in schedule time; everything else is real.
   */
  readonly timeScale: number;
  /** A slot later than this after its boundary waits for the next boundary of this step (schedule time). */
  readonly lateRetryMs: number;
  /** Slots older than this (schedule time) are not delivered late: a subscription resumes at the oldest slot within it. */
  readonly maxLatenessMs: number;
  /** How long a start, or taking over, may wait for the subscription, vehicle-state and slot topics to be read. */
  readonly registryCatchUpMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
}

export const schedulerDefaults = {
  groupId: 'fleethook-scheduler',
  host: '0.0.0.0',
  port: 9_195,
  sessionTimeoutMs: 10_000,
  tickMs: 1_000,
  timeScale: 1,
  lateRetryMs: missedSlotRetryMs,
  maxLatenessMs: 86_400_000,
  registryCatchUpMs: 60_000,
  shutdownGraceMs: 5_000,
} as const;

/**
 * Shared: `FLEETHOOK_KAFKA_BROKERS`, `FLEETHOOK_TOPIC_PREFIX`, `FLEETHOOK_TOPIC_WAIT_MS`,
 * `FLEETHOOK_TOPIC_WAIT_RETRY_MS`. Scheduler-only ones start with `FLEETHOOK_SCHEDULER_`:
 * GROUP_ID, HOST, PORT (0 = any free port), SESSION_TIMEOUT_MS, TICK_MS, TIME_SCALE,
 * LATE_RETRY_MS, MAX_LATENESS_MS, REGISTRY_CATCH_UP_MS, SHUTDOWN_GRACE_MS, LOG_LEVEL.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): SchedulerConfig {
  const r = new EnvReader(env, 'FLEETHOOK_');
  const d = schedulerDefaults;
  const config: SchedulerConfig = {
    ...readServiceKafkaConfig(r),
    ...readListenConfig(r, 'SCHEDULER', d),
    groupId: r.string('SCHEDULER_GROUP_ID', d.groupId),
    sessionTimeoutMs: r.int('SCHEDULER_SESSION_TIMEOUT_MS', d.sessionTimeoutMs, { min: 6_000, max: 300_000 }),
    tickMs: r.int('SCHEDULER_TICK_MS', d.tickMs, { min: 10, max: 60_000 }),
    timeScale: r.int('SCHEDULER_TIME_SCALE', d.timeScale, { min: 1, max: 3_600 }),
    lateRetryMs: r.int('SCHEDULER_LATE_RETRY_MS', d.lateRetryMs, { min: 60_000, max: 86_400_000 }),
    maxLatenessMs: r.int('SCHEDULER_MAX_LATENESS_MS', d.maxLatenessMs, { min: 60_000, max: 31 * 86_400_000 }),
    registryCatchUpMs: r.int('SCHEDULER_REGISTRY_CATCH_UP_MS', d.registryCatchUpMs, { min: 100, max: 600_000 }),
    shutdownGraceMs: r.int('SCHEDULER_SHUTDOWN_GRACE_MS', d.shutdownGraceMs, { min: 0, max: 60_000 }),
    logLevel: readLogLevel(r, 'SCHEDULER'),
  };
  if (config.maxLatenessMs < config.lateRetryMs) r.problem(`FLEETHOOK_SCHEDULER_MAX_LATENESS_MS (${config.maxLatenessMs}) must be at least FLEETHOOK_SCHEDULER_LATE_RETRY_MS (${config.lateRetryMs})`);
  r.finish();
  return config;
}
