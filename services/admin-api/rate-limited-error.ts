import { ApiError } from './api-error.js';

/** 429: too many calls of one kind for one subscription; the response carries `Retry-After` (whole seconds). */
export class RateLimitedError extends ApiError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterMs: number) {
    super('rate_limited', message, null);
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}
