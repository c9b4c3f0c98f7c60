import { FleethookError } from '../shared/errors.js';

export const apiErrorCodes = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  /** Recover (issue 15): the episode's items were handed back already. */
  already_recovered: 409,
  /** Recover: the subscription has no audited episode, or the episode holds no items. */
  nothing_to_recover: 409,
  /** Recover: another call is starting a recovery of this subscription right now. */
  recovery_in_progress: 409,
  /** Replay: `from` is older than the telemetry Kafka keeps (the message names the earliest time available). */
  replay_window_expired: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  /** The request is well formed, but a rule the schema cannot state refuses it (where a host resolves, the operator's port list). */
  url_not_allowed: 422,
  subscription_limit_reached: 422,
  landmark_limit_reached: 422,
  /** A landmark shape that is well formed but not an area (checkShapeGeometry). */
  invalid_shape: 422,
  /** A landmarkId in an event's parameters that is not one of the account's landmarks (well formed, but refers to nothing it may use). */
  unknown_landmark: 422,
  invalid_confirmation_code: 422,
  /** A well-formed query the delivery log refuses: a cursor it did not issue for this list, until before since. */
  invalid_query: 422,
  /** Replay: `from` is after `to`. */
  invalid_range: 422,
  header_fields_too_large: 431,
  rate_limited: 429,
  invalid_json: 400,
  invalid_request: 400,
  validation_failed: 400,
  not_ready: 503,
  /** The catalogue could not catch up in time; retry shortly. */
  unavailable: 503,
  /** Anything unexpected; the body says nothing more, the log has the detail. */
  internal_error: 500,
} as const;
/** The `code` of every admin API error body: a closed set, documented in the OpenAPI document. */
export type ApiErrorCode = keyof typeof apiErrorCodes;

/** An expected, client-facing failure: its code decides the HTTP status. */
export class ApiError extends FleethookError {
  constructor(
    readonly apiCode: ApiErrorCode,
    message: string,
    readonly field: string | null = null,
  ) {
    super('API_REFUSED', message);
    this.name = 'ApiError';
  }

  get status(): number {
    return apiErrorCodes[this.apiCode];
  }
}
