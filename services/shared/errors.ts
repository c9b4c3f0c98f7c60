/**
 * Every `code` a FleethookError can carry: a closed list, so a misspelt code in a throw or
 * in a branch (`err.code === 'COMPACTED_TOPIC_LAGING'`) does not compile. Add a code here, with
 * the place that throws it, when a new failure needs callers to tell it apart.
 */
export const fleethookErrorCodes = [
  // Input and configuration.
  'CONFIG_INVALID', // loadConfig: every problem, by variable name
  'VALIDATION_FAILED', // a decoded value (HTTP body, producer record) broke its rules
  'INVALID_ARGUMENT', // a programming error: a constructor argument out of range
  // Kafka, the topic catalogue and the registry.
  'KAFKA_TOPICS_UNAVAILABLE', // start-up wait for topics ran out
  'TOPIC_PARTITION_MISMATCH', // `npm run topics` refuses to change a partition count
  'CATALOGUE_WRITE_FAILED', // a subscription record write returned no offset
  'COMPACTED_TOPIC_UNAVAILABLE', // a compacted topic read whole (subscriptions, landmarks) cannot be read
  'COMPACTED_TOPIC_LAGGING', // its in-memory copy did not catch up in time (admin API: 503)
  'LANDMARK_WRITE_FAILED', // a landmark record write returned no offset
  'PRODUCER_CLOSED', // telemetry producer SDK: publish after close
  'PRODUCER_NOT_CONNECTED', // telemetry producer SDK: publish before connect
  'SCHEMA_REGISTRY', // the schema registry refused or could not be reached
  'QUEUE_CLOSED', // KeyedSerialQueue: a task refused or dropped by close()
  // Secrets and endpoints.
  'CRYPTO_KEY_INVALID',
  'SECRET_MALFORMED',
  'SECRET_KEY_UNKNOWN',
  'SECRET_UNSEAL_FAILED',
  'SSRF_BLOCKED', // an endpoint resolved to a forbidden address
  'API_REFUSED', // admin API: an expected client-facing refusal; its `apiCode` says which
  // The local stack (stack/).
  'STACK_FETCH_FAILED',
  'STACK_JAVA_MISSING',
  'STACK_LOCKED',
  'STACK_PORT_IN_USE',
  'STACK_PROMETHEUS_MISSING',
  'STACK_REDIS_MISSING',
  'STACK_REDIS_UNUSABLE',
  'STACK_START_FAILED',
] as const;
export type FleethookErrorCode = (typeof fleethookErrorCodes)[number];

/**
 * One base error for the whole project. Callers branch on `code`, never on message
 * text; `retriable` tells whether the same operation may succeed if tried again.
 */
export class FleethookError extends Error {
  readonly code: FleethookErrorCode;
  readonly retriable: boolean;

  constructor(code: FleethookErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FleethookError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A value failed validation. `field` is a path such as `data.lat` or `auth.tokenValue`. */
export class ValidationError extends FleethookError {
  readonly field: string;
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    const first = issues[0];
    const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
    super('VALIDATION_FAILED', summary || 'invalid value');
    this.name = 'ValidationError';
    this.field = first?.field ?? '';
    this.issues = issues;
  }
}

export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** Configuration could not be loaded; every problem is listed with its variable name. */
export class ConfigError extends FleethookError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
