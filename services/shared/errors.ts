/**
 * One base error for the whole project. Callers branch on `code`, never on message
 * text; `retriable` tells whether the same operation may succeed if tried again.
 */
export class FleethookError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
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
