/**
 * The subscription model (DESIGN.md §3). One generic shape serves three views of the
 * same record, distinguished by what a secret field holds:
 *   - `Subscription`          plaintext secrets, only in memory while needed;
 *   - `StoredSubscription`    sealed secrets (AES-256-GCM envelopes), what Kafka holds;
 *   - `SubscriptionView`      masked secrets, what the admin API returns.
 */
import { vehicleEventTypes } from '../../../schemas/telemetry-records.js';
import type { SpeedUnits } from '../../../schemas/telemetry-records.js';

export const subscriptionStates = [
  'pending_verification',
  'active',
  'failing',
  'paused',
  'deactivated',
] as const;
export type SubscriptionState = (typeof subscriptionStates)[number];

/**
 * The event types a subscription may select: those the telemetry schema carries, and
 * `landmark_change`, which selects both `landmark_enter` and `landmark_leave`.
 */
export const eventTypes = [...vehicleEventTypes, 'landmark_change'] as const;
export type EventType = (typeof eventTypes)[number];

export const contentTypes = ['application/json', 'application/x-www-form-urlencoded'] as const;
export type ContentType = (typeof contentTypes)[number];

export const retryPolicyNames = ['standard-7d', 'pause-24h', 'disable-10m'] as const;
export type RetryPolicyName = (typeof retryPolicyNames)[number];

export const limits = {
  maxBatchItems: 500,
  maxBatchWaitMs: 5_000,
  maxNameLength: 200,
  maxUrlLength: 2_048,
  maxVehicleIds: 10_000,
  maxLandmarkIds: 1_000,
  maxAlertEmails: 20,
  maxSecretLength: 4_096,
  maxScheduledEveryMinutes: 59,
  /** speeding: the highest threshold X, by units (400 km/h ≈ 248 mph). */
  maxSpeed: { kmh: 400, mph: 250 },
  /** posted_speeding: the largest X over the posted limit, by units. */
  maxOverLimit: { kmh: 200, mph: 125 },
  maxIdleMinutes: 1_440,
  minScheduledRequestBytes: 1_024,
  /**
   * The cap on a scheduled request's body (head and data, as sent), and its default: 1 MiB.
   * A part travels as one record on the webhook topics whose `max.message.bytes` is raised for
   * it (`schemas/topics.ts`, `requestRecordMaxBytes`).
   */
  maxScheduledRequestBytes: 1_048_576,
} as const;

export const defaults = {
  contentType: 'application/json',
  retryPolicy: 'standard-7d',
  batching: { maxItems: limits.maxBatchItems, maxWaitMs: limits.maxBatchWaitMs },
  eventBatching: { maxItems: 1, maxWaitMs: 0 },
} as const;

/**
 * One event type a subscription selects, with its parameters:
 *   - speeding: speed ≥ `threshold`; posted_speeding: speed ≥ posted limit + `threshold`; in `units`.
 *     Records written before units existed hold `thresholdKph` / `overLimitKph` (km/h);
 *     both decoders read them as `{ threshold, units: 'kmh' }`.
 *   - idle: only idle periods of at least `minutes`; absent, every idle event.
 *   - landmark_*: only the landmarks `landmarkIds` names; absent, all of the account's landmarks.
 */
export type EventSelection =
  | { readonly type: SpeedEventType; readonly threshold: number; readonly units: SpeedUnits }
  | { readonly type: 'idle'; readonly minutes?: number }
  | { readonly type: LandmarkEventType; readonly landmarkIds?: readonly string[] }
  | { readonly type: Exclude<EventType, SpeedEventType | 'idle' | LandmarkEventType> };
export type SpeedEventType = 'speeding' | 'posted_speeding';
export type LandmarkEventType = 'landmark_enter' | 'landmark_leave' | 'landmark_change';

/**
 * Scheduled snapshots fire on UTC boundaries (`shared/schedule/cadence-slots.ts`): every N
 * minutes counted from the Unix epoch (N dividing 60 gives :00, :N, …), every hour at :00,
 * every day at `at` (HH:MM, default 00:00), every month on `day` (1–28, default 1) at 00:00.
 */
export type Cadence =
  | { readonly every: 'minutes'; readonly minutes: number }
  | { readonly every: 'hour' }
  | { readonly every: 'day'; readonly at: string }
  | { readonly every: 'month'; readonly day: number };

/** The vehicle-state fields a scheduled subscription may choose (all by default). */
export const scheduledFields = ['location', 'speed', 'heading', 'odometer', 'ignition', 'activeDtcs', 'lastEventTimes'] as const;
export type ScheduledField = (typeof scheduledFields)[number];

export const scheduledUnits = ['metric', 'imperial'] as const;
export type ScheduledUnits = (typeof scheduledUnits)[number];

/**
 * A scheduled subscription's options. The API stores all three (defaults filled in); a
 * record written before they existed reads with the defaults (`scheduledOptionsOf`).
 */
export interface ScheduledOptions {
  readonly fields: readonly ScheduledField[];
  readonly units: ScheduledUnits;
  /** The cap on one request's body in bytes (head and data, in its content type); a larger slot goes in several requests, in order. */
  readonly maxRequestBytes: number;
}

export type SubscriptionSource =
  | { readonly kind: 'gps' }
  | { readonly kind: 'dtc' }
  | { readonly kind: 'event'; readonly eventTypes: readonly EventSelection[] }
  | ({ readonly kind: 'scheduled'; readonly cadence: Cadence } & Partial<ScheduledOptions>);

export const scheduledDefaults: ScheduledOptions = { fields: scheduledFields, units: 'metric', maxRequestBytes: limits.maxScheduledRequestBytes };

/** The options of a scheduled source, defaults for the ones it lacks. */
export function scheduledOptionsOf(source: Partial<ScheduledOptions>): ScheduledOptions {
  return {
    fields: source.fields ?? scheduledDefaults.fields,
    units: source.units ?? scheduledDefaults.units,
    maxRequestBytes: source.maxRequestBytes ?? scheduledDefaults.maxRequestBytes,
  };
}

/**
 * Endpoint authentication. `authorization` is an optional fixed `Authorization` header
 * value; it is not allowed with basic or bearer, which set that header themselves.
 */
export type EndpointAuth<S> =
  | { readonly type: 'none'; readonly authorization?: S }
  | { readonly type: 'basic'; readonly userName: string; readonly password: S }
  | { readonly type: 'bearer'; readonly tokenValue: S }
  | { readonly type: 'apikey'; readonly tokenValue: S; readonly authorization?: S }
  | { readonly type: 'custom'; readonly tokenName: string; readonly tokenValue: S; readonly authorization?: S };

export interface Batching {
  readonly maxItems: number;
  readonly maxWaitMs: number;
}

export interface VehicleFilter {
  readonly vehicleIds: readonly string[];
}

/** What an owner chooses; everything the API accepts on create and patch. */
export interface SubscriptionSpec<S> {
  readonly url: string;
  readonly name: string;
  readonly source: SubscriptionSource;
  readonly vehicleFilter: VehicleFilter | null;
  readonly contentType: ContentType;
  readonly batching: Batching;
  readonly auth: EndpointAuth<S>;
  readonly alertEmails: readonly string[];
  readonly retryPolicy: RetryPolicyName;
}

export interface SigningSecrets<S> {
  readonly current: S;
  /** The secret before the last rotation, still used to sign until `previousExpiresAt`. */
  readonly previous: S | null;
  readonly previousExpiresAt: string | null;
  readonly rotatedAt: string | null;
}

/** One alert address's confirmation (see alert-email-confirmations.ts); a pending one keeps only its token's SHA-256. */
export type AlertEmailConfirmation =
  | { readonly state: 'pending'; readonly tokenHash: string; readonly requestedAt: string; readonly expiresAt: string }
  | { readonly state: 'confirmed'; readonly confirmedAt: string; readonly via: 'link' | 'owner' };
/** Keyed by the lower-cased address. */
export type AlertEmailConfirmations = Readonly<Record<string, AlertEmailConfirmation>>;

export interface SubscriptionRecord<S> extends SubscriptionSpec<S> {
  /**
   * Values of secret-looking query parameters of `url` (`?token=…`), in order. Set only
   * in a stored record, whose `url` shows them as `********` (url-query-secrets.ts); a
   * plaintext `Subscription`'s `url` is the real URL and has none.
   */
  readonly urlSecrets?: readonly S[];
  readonly id: string;
  readonly accountId: string;
  readonly state: SubscriptionState;
  readonly signing: SigningSecrets<S>;
  readonly verifiedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * When the subscription last went live again: moved to `active` from `paused`,
   * `deactivated` or `pending_verification` (absent: never since it was created). A
   * scheduled subscription sends no slot from before it: what fell due while it was off
   * is not sent at the resume, all with the same current state.
   */
  readonly liveSince?: string;
  /** Incremented on every write; lets readers tell newer from older. */
  readonly revision: number;
  /** Which alert addresses their holders confirmed; absent in records written before confirmations existed (none confirmed). */
  readonly alertEmailConfirmations?: AlertEmailConfirmations;
}

/** A sealed secret: `fhenc.v1.<keyId>.<iv>.<ciphertext>.<tag>` (see secret-box.ts). */
export type SealedSecret = string & { readonly __sealed: true };

export type Subscription = SubscriptionRecord<string>;
export type StoredSubscription = SubscriptionRecord<SealedSecret>;
