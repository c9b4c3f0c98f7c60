import { maskedUrlSecretPattern, webhookUrlPattern } from '../shared/subscriptions/check-webhook-url.js';
import { reservedHeaderNames } from '../shared/subscriptions/decode-endpoint-auth.js';
import { accountIdPattern, subscriptionIdPattern } from '../shared/subscriptions/subscription-ids.js';
import { contentTypes, eventTypes, limits, retryPolicyNames, scheduledFields, scheduledUnits, subscriptionStates } from '../shared/subscriptions/subscription-types.js';
import { anyCase, maxEmailLength, textPatterns } from '../shared/subscriptions/text-rules.js';
import { landmarkIdPattern, landmarkLimits } from '../shared/landmarks/landmark-types.js';
import { speedUnits } from '../../schemas/telemetry-records.js';
import type { SpeedUnits } from '../../schemas/telemetry-records.js';
import { apiErrorCodes } from './api-error.js';
import { maxErrorTextLength, maxIssuesShown } from './error-response.js';

/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the admin API's bodies. The request
 * schemas state exactly what the decoders accept — the same pattern sources, lengths in
 * characters, uniqueness, no null where a value is expected — so a generated valid body
 * is accepted (2xx, or 422 for the rules no schema can state: where the host resolves,
 * the operator's ports and http setting, the per-account limit) and an invalid one is a 400.
 */
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Record<string, unknown>): Record<string, unknown> => ({ oneOf: [schema, { type: 'null' }] });
const isoTime = { type: 'string', format: 'date-time' } as const;
export const id128 = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$', minLength: 1, maxLength: 128 } as const;
const closed = (required: string[], properties: Record<string, unknown>): Record<string, unknown> => ({ type: 'object', additionalProperties: false, required, properties });
export const subscriptionIdSchema = { type: 'string', pattern: subscriptionIdPattern.source } as const;
export const landmarkIdSchema = { type: 'string', pattern: landmarkIdPattern.source } as const;
export const accountIdSchema = { type: 'string', pattern: accountIdPattern.source } as const;
const episodeIdSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } as const;

const plainEventTypes = eventTypes.filter((t) => !['speeding', 'posted_speeding', 'idle', 'landmark_enter', 'landmark_leave', 'landmark_change'].includes(t));
/** One variant per units: the largest threshold differs. */
const speedSelections = (type: string, minimum: number, maxima: Readonly<Record<SpeedUnits, number>>): Record<string, unknown>[] =>
  speedUnits.map((units) => closed(['type', 'threshold', 'units'], { type: { const: type }, threshold: { type: 'integer', minimum, maximum: maxima[units] }, units: { const: units } }));
/** Each event type at most once (the decoder refuses a second selection of a type, whatever its options). */
const eachTypeOnce = eventTypes.map((t) => ({ contains: { type: 'object', required: ['type'], properties: { type: { const: t } } }, minContains: 0, maxContains: 1 }));

const reservedHeader = `^(?:${[...reservedHeaderNames].map(anyCase).join('|')})$`;

const secretInput = { type: 'string', minLength: 1, maxLength: limits.maxSecretLength, pattern: textPatterns.headerValue, not: { pattern: '^\\*{4}' }, description: 'Printable ASCII. A value starting with `****` (a masked value the API returned) is refused.' };
const authVariants = (secret: Record<string, unknown>, input: boolean): Record<string, unknown>[] => {
  const userName = input ? { type: 'string', minLength: 1, maxLength: 256, pattern: textPatterns.userName } : { type: 'string' };
  const tokenName = input
    ? { type: 'string', minLength: 1, maxLength: 128, pattern: textPatterns.headerName, not: { pattern: reservedHeader }, description: `An HTTP header name other than ${[...reservedHeaderNames].join(', ')}.` }
    : { type: 'string' };
  return [
    closed(['type'], { type: { const: 'none' }, authorization: secret }),
    closed(['type', 'userName', 'password'], { type: { const: 'basic' }, userName, password: secret }),
    closed(['type', 'tokenValue'], { type: { const: 'bearer' }, tokenValue: secret }),
    closed(['type', 'tokenValue'], { type: { const: 'apikey' }, tokenValue: secret, authorization: secret }),
    closed(['type', 'tokenName', 'tokenValue'], { type: { const: 'custom' }, tokenName, tokenValue: secret, authorization: secret }),
  ];
};

const urlDescription = [
  'http(s)://host[:port][/path][?query] in ASCII (percent-encode anything else); a DNS-style host (no IP-v6 literal), no credentials, no fragment (not even an empty `#`).',
  'Refused with 422 url_not_allowed although well formed: plain http unless the operator allows it; a port outside the operator\'s list (default 443, 80, 8443, 8080);',
  'a host that resolves to a private, loopback, link-local, CGNAT or metadata address unless allow-listed, or does not resolve.',
  'Values of query parameters whose names look secret (token, secret, sig, key, pass, auth, code) are sealed like every secret and shown as `********`;',
  'such a value starting with `****` (a masked value the API returned) is refused.',
].join(' ');

const specProperties = {
  url: { type: 'string', minLength: 1, maxLength: limits.maxUrlLength, pattern: webhookUrlPattern, not: { pattern: maskedUrlSecretPattern }, description: urlDescription, examples: ['https://hooks.example.com/fleet?token=s3cr3t'] },
  name: { type: 'string', minLength: 1, maxLength: limits.maxNameLength, pattern: textPatterns.plainText, description: 'Any text without control characters; length in characters.' },
  source: ref('Source'),
  vehicleFilter: { ...nullable(ref('VehicleFilter')), description: 'null: every vehicle of the account.' },
  contentType: { enum: [...contentTypes] },
  batching: ref('Batching'),
  alertEmails: {
    type: 'array', maxItems: limits.maxAlertEmails, uniqueItems: true,
    items: { type: 'string', maxLength: maxEmailLength, pattern: textPatterns.email, description: 'user@host.domain: dot-atom local part, DNS domain (IDN in punycode); no IP literal.' },
  },
  retryPolicy: { enum: [...retryPolicyNames], description: 'Default `standard-7d`; `disable-10m` (5 retries over 10 minutes, then disabled) for scheduled subscriptions.' },
  enabled: { type: 'boolean', description: 'false pauses the subscription; true resumes it.' },
};
/** Responses show what was stored; they are not held to the input rules (a record may predate one). */
const viewProperties = {
  ...specProperties,
  url: { type: 'string', description: 'As registered, with secret query values shown as `********`.' },
  name: { type: 'string' },
  alertEmails: { type: 'array', items: { type: 'string' } },
};

export const openApiSchemas = {
  Error: closed(['code', 'message', 'field'], {
    code: { type: 'string', enum: Object.keys(apiErrorCodes), description: 'Stable; branch on it, not on the message.' },
    message: { type: 'string', maxLength: 1_300, description: 'For people. Never quotes the request body.' },
    field: { type: ['string', 'null'], maxLength: maxErrorTextLength, description: 'Path of the offending field, e.g. `batching.maxItems` or `source.eventTypes[0].threshold`.' },
    issues: {
      type: 'array', maxItems: maxIssuesShown, description: `Validation failures: the first ${maxIssuesShown} field issues.`,
      items: closed(['field', 'message'], { field: { type: 'string', maxLength: maxErrorTextLength }, message: { type: 'string', maxLength: maxErrorTextLength } }),
    },
    issueCount: { type: 'integer', minimum: 1, description: 'Validation failures: how many issues there were in all.' },
  }),
  EventSelection: {
    description: [
      'speeding: speed ≥ `threshold`; posted_speeding: speed ≥ the posted limit + `threshold`; in `units`. A derived event reaches only the subscriptions of its own threshold and units.',
      'idle: only idle periods of at least `minutes` (left out: all). landmark_*: only the landmarks `landmarkIds` names, each a landmark of the subscription\'s account (an unknown or another account\'s id is a 400 naming it at its field; left out: all of the account\'s); landmark_change is landmark_enter and landmark_leave.',
    ].join(' '),
    oneOf: [
      ...speedSelections('speeding', 1, limits.maxSpeed),
      ...speedSelections('posted_speeding', 0, limits.maxOverLimit),
      { ...closed(['type', 'thresholdKph'], { type: { const: 'speeding' }, thresholdKph: { type: 'integer', minimum: 1, maximum: limits.maxSpeed.kmh } }), deprecated: true, description: 'Read as `{ threshold, units: "kmh" }`.' },
      { ...closed(['type', 'overLimitKph'], { type: { const: 'posted_speeding' }, overLimitKph: { type: 'integer', minimum: 0, maximum: limits.maxOverLimit.kmh } }), deprecated: true, description: 'Read as `{ threshold, units: "kmh" }`.' },
      closed(['type'], { type: { const: 'idle' }, minutes: { type: 'integer', minimum: 1, maximum: limits.maxIdleMinutes } }),
      closed(['type'], {
        type: { enum: ['landmark_enter', 'landmark_leave', 'landmark_change'] },
        landmarkIds: { type: 'array', minItems: 1, maxItems: limits.maxLandmarkIds, uniqueItems: true, items: landmarkIdSchema },
      }),
      closed(['type'], { type: { enum: plainEventTypes } }),
    ],
  },
  Cadence: {
    description: 'Scheduled snapshots fire on UTC boundaries: every N minutes counted from the Unix epoch (N dividing 60 gives :00, :N, …), every hour at :00, every day at `at` (HH:MM UTC, default 00:00), every month on `day` (1–28, default 1) at 00:00 UTC. The scheduler (`npm run scheduler`) delivers each slot once, from the first boundary after the subscription was created; a slot it could not send within 15 minutes of its boundary goes on the next :00/:15/:30/:45.',
    oneOf: [
      closed(['every', 'minutes'], { every: { const: 'minutes' }, minutes: { type: 'integer', minimum: 1, maximum: limits.maxScheduledEveryMinutes } }),
      closed(['every'], { every: { const: 'hour' } }),
      closed(['every'], { every: { const: 'day' }, at: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '00:00' } }),
      closed(['every'], { every: { const: 'month' }, day: { type: 'integer', minimum: 1, maximum: 28, default: 1 } }),
    ],
  },
  Source: {
    oneOf: [
      closed(['kind'], { kind: { enum: ['gps', 'dtc'] } }),
      closed(['kind', 'eventTypes'], {
        kind: { const: 'event' },
        eventTypes: { type: 'array', minItems: 1, maxItems: eventTypes.length, items: ref('EventSelection'), allOf: eachTypeOnce, description: 'Each event type at most once.' },
      }),
      closed(['kind', 'cadence'], {
        kind: { const: 'scheduled' },
        cadence: ref('Cadence'),
        fields: {
          type: 'array', minItems: 1, maxItems: scheduledFields.length, uniqueItems: true, items: { enum: [...scheduledFields] }, default: [...scheduledFields],
          description: 'The vehicle-state fields each item carries (all by default): `location`, `speed` (speedKmh or speedMph), `heading` (headingDeg), `odometer` (odometerKm or odometerMi), `ignition`, `activeDtcs`, `lastEventTimes`. Every item has vehicleId, accountId, mode and time.',
        },
        units: { enum: [...scheduledUnits], default: 'metric', description: '`metric` (km/h, km) or `imperial` (mph, miles).' },
        maxRequestBytes: {
          type: 'integer', minimum: limits.minScheduledRequestBytes, maximum: limits.maxScheduledRequestBytes, default: limits.maxScheduledRequestBytes,
          description: 'The cap on one request\'s body in bytes (head and `data`, in the subscription\'s content type), 1 KiB to 1 MiB, default 1 MiB: a larger slot goes in several requests, in order, each with its own webhook-id (also at most `batching.maxItems` items each). A vehicle whose item alone exceeds the cap goes alone in its request.',
        },
      }),
    ],
  },
  VehicleFilter: closed(['vehicleIds'], { vehicleIds: { type: 'array', minItems: 1, maxItems: limits.maxVehicleIds, uniqueItems: true, items: id128 } }),
  Batching: closed(['maxItems', 'maxWaitMs'], {
    maxItems: { type: 'integer', minimum: 1, maximum: limits.maxBatchItems },
    maxWaitMs: { type: 'integer', minimum: 0, maximum: limits.maxBatchWaitMs },
  }),
  AuthInput: { description: '`authorization` is an optional fixed Authorization header value (not with basic or bearer).', oneOf: authVariants(secretInput, true) },
  AuthMasked: { oneOf: authVariants({ type: 'string', pattern: '^\\*{4}' }, false) },
  SubscriptionCreate: {
    ...closed(['url', 'name', 'source'], {
      ...specProperties,
      auth: ref('AuthInput'),
      accountId: { ...accountIdSchema, description: 'The owning account: required with the operator key; with an account key it may be left out or name that account (another is a 403).' },
    }),
    examples: [{ url: 'https://hooks.example.com/fleet', name: 'fleet positions', source: { kind: 'gps' } }],
  },
  SubscriptionPatch: { ...closed([], { ...specProperties, auth: ref('AuthInput') }), minProperties: 1 },
  Subscription: closed(
    ['id', 'accountId', 'url', 'name', 'enabled', 'state', 'source', 'vehicleFilter', 'contentType', 'batching', 'auth', 'alertEmails', 'retryPolicy', 'signing', 'verifiedAt', 'createdAt', 'updatedAt', 'revision', 'alertEmailConfirmations'],
    {
      ...viewProperties,
      id: subscriptionIdSchema,
      accountId: accountIdSchema,
      state: { enum: [...subscriptionStates] },
      auth: ref('AuthMasked'),
      signing: closed(['current', 'previous', 'previousExpiresAt', 'rotatedAt'], {
        current: { type: 'string', description: 'Masked: `****whsec_…` + last 4 characters.' },
        previous: { type: ['string', 'null'], description: 'Masked; still signs until previousExpiresAt.' },
        previousExpiresAt: nullable(isoTime),
        rotatedAt: nullable(isoTime),
      }),
      verifiedAt: nullable(isoTime),
      createdAt: isoTime,
      updatedAt: isoTime,
      revision: { type: 'integer', minimum: 1 },
      alertEmailConfirmations: { type: 'array', items: ref('AlertAddress'), description: 'Each alert address with its confirmation state; only confirmed addresses receive alerts.' },
    },
  ),
  AlertAddress: closed(['address', 'state', 'since', 'expiresAt'], {
    address: { type: 'string' },
    state: { enum: ['confirmed', 'pending', 'expired', 'unconfirmed'], description: '`pending`: the confirmation e-mail was requested and its link works until `expiresAt`; `expired`: ask again by writing `alertEmails` (PATCH); `unconfirmed`: never asked (written before confirmations existed) — PATCH `alertEmails` to ask.' },
    since: { ...nullable(isoTime), description: 'When it was confirmed, or when the confirmation e-mail was requested.' },
    expiresAt: nullable(isoTime),
  }),
  AlertAddressConfirm: closed(['token'], { token: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.-]+$', description: 'The code from the confirmation e-mail.' } }),
  AlertAddressConfirmed: closed(['subscriptionId', 'subscriptionName', 'address', 'state'], {
    subscriptionId: { type: 'string', pattern: '^sub_' }, subscriptionName: { type: 'string' }, address: { type: 'string' }, state: { const: 'confirmed' },
  }),
  SubscriptionWithSecret: closed(['subscription', 'signingSecret'], {
    subscription: ref('Subscription'),
    signingSecret: { type: 'string', pattern: '^whsec_', description: 'Shown in full only here (create and rotate-secret responses).' },
  }),
  SubscriptionPage: closed(['data', 'nextCursor'], {
    data: { type: 'array', items: ref('Subscription') },
    nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page.' },
  }),
  VerificationResult: {
    oneOf: [
      closed(['kind', 'statusCode', 'latencyMs'], { kind: { const: 'verified' }, statusCode: { type: 'integer' }, latencyMs: { type: 'integer' } }),
      closed(['kind', 'reason', 'message', 'statusCode', 'latencyMs'], {
        kind: { const: 'failed' },
        reason: { enum: ['timeout', 'connection_refused', 'blocked', 'network_error', 'redirect', 'status', 'wrong_value'] },
        message: { type: 'string' },
        statusCode: { type: ['integer', 'null'] },
        latencyMs: { type: 'integer' },
      }),
    ],
  },
  VerificationReply: closed(['result', 'subscription'], { result: ref('VerificationResult'), subscription: ref('Subscription') }),
  WebhookBody: closed(['id', 'type', 'eventName', 'version', 'mode', 'accountId', 'subscriptionId', 'createdAt', 'enqueueTime', 'requestTime', 'retryCount', 'queueDepth', 'data'], {
    id: { type: 'string', pattern: '^msg_', description: 'Equals the `webhook-id` header; the same on every attempt of the request (deduplicate on it).' },
    type: { type: 'string', enum: ['gps', 'dtc', 'event', 'scheduled'], description: 'The kind of the items.' },
    eventName: { type: 'string', enum: ['gps', 'dtc', 'eventBased', 'scheduled'], description: 'What produced the items: `gps`/`dtc` streams, `eventBased` for events, `scheduled` for a scheduled subscription\'s slot (one item per vehicle: its latest state with the chosen fields and units).' },
    version: { const: 1, description: 'Payload version; additive changes keep it.' },
    mode: { type: 'string', enum: ['live', 'test', 'simulated', 'replay'], description: '`test` for the test event of `POST /v1/subscriptions/{id}/test`; `simulated` when every item comes from a simulated vehicle; `replay` for the requests of a replay (`POST /v1/subscriptions/{id}/replays`), which also carry `replayId`.' },
    replayId: { type: 'string', pattern: '^rpl_', description: 'The replay a `mode: "replay"` request belongs to; absent otherwise.' },
    accountId: accountIdSchema,
    subscriptionId: subscriptionIdSchema,
    createdAt: { ...isoTime, description: 'When this owner first built the request.' },
    enqueueTime: { ...isoTime, description: 'When the first item of the request was queued (its batch opened). The same on every attempt.' },
    requestTime: { ...isoTime, description: 'When this attempt was sent: a retry has a later one.' },
    retryCount: { type: 'integer', minimum: 0, description: 'Earlier attempts of this request.' },
    queueDepth: { type: 'integer', minimum: 0, description: 'Items of the subscription waiting behind this request.' },
    data: {
      type: 'array', minItems: 1, description: 'The items in order: the topic\'s record with `time` in ISO 8601 and absent fields left out.',
      items: { type: 'object', required: ['vehicleId', 'accountId', 'time'], properties: { vehicleId: { type: 'string' }, accountId: { type: 'string' }, time: isoTime } },
    },
  }),
  TestEventResult: closed(['webhookId', 'delivered', 'statusCode', 'latencyMs', 'error'], {
    webhookId: { type: 'string', pattern: '^msg_' },
    delivered: { type: 'boolean' },
    statusCode: { type: ['integer', 'null'] },
    latencyMs: { type: 'integer' },
    error: { type: ['string', 'null'], description: '`status N`, `timeout`, `connection_refused`, `blocked` or `network_error CODE`.' },
  }),
  DeliveryStatus: closed(
    ['backlogSize', 'currentTier', 'firstFailureAt', 'totalMessages', 'totalDelivered', 'lastSuccessAt', 'lastFailureAt', 'lastError', 'nextRetryAt', 'recentAttempts'],
    {
      backlogSize: { type: ['integer', 'null'], minimum: 0, description: 'Queue depth: items waiting behind a parked request (0 once drained).' },
      currentTier: { type: ['string', 'null'], description: 'While parked: the retry lane the failed request waits on (e.g. `webhook.retry.35m`), or `paused` when the policy paused the subscription.' },
      firstFailureAt: { ...nullable(isoTime), description: 'While parked: when the failing episode began; the retry policy\'s limit counts from here.' },
      totalMessages: { type: ['integer', 'null'] },
      totalDelivered: { type: ['integer', 'null'] },
      lastSuccessAt: nullable(isoTime),
      lastFailureAt: nullable(isoTime),
      lastError: { type: ['string', 'null'] },
      nextRetryAt: { ...nullable(isoTime), description: 'When the parked request is tried next.' },
      recentAttempts: nullable({
        type: 'array',
        items: closed(['at', 'statusCode', 'latencyMs', 'error', 'webhookId'], {
          at: isoTime, statusCode: { type: ['integer', 'null'] }, latencyMs: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] }, webhookId: { type: 'string' },
        }),
      }),
    },
  ),
  AttemptLog: closed(['id', 'attempts'], {
    id: { type: 'string' },
    attempts: nullable({
      type: 'array',
      description: 'Null until the dispatcher has logged an attempt.',
      items: closed(['at', 'statusCode', 'latencyMs', 'error', 'webhookId'], {
        at: isoTime, statusCode: { type: ['integer', 'null'] }, latencyMs: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] }, webhookId: { type: 'string' },
      }),
    }),
  }),
  FeedToken: closed(['token', 'expiresAt'], { token: { type: 'string' }, expiresAt: isoTime }),
  RequestExample: closed(['headers', 'body'], {
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Header names in lower case, as sent.' },
    body: { type: 'string', description: 'The body exactly as sent (JSON or form-encoded).' },
  }),
  FeedEntry: closed(['entryId', 'at', 'webhookId', 'mode', 'statusCode', 'latencyMs', 'error', 'items', 'contentType', 'body', 'bodyTruncated'], {
    entryId: { type: 'string' }, at: isoTime, webhookId: { type: 'string', pattern: '^msg_' }, mode: { enum: ['live', 'test'] },
    statusCode: { type: ['integer', 'null'] }, latencyMs: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] }, items: { type: 'integer', minimum: 0 },
    contentType: { type: 'string' }, body: { type: 'string', description: 'The request body, cut at 8 KiB.' }, bodyTruncated: { type: 'boolean' },
  }),
  LandmarkShape: {
    description: [
      'A circle (centre, radius in metres) or a polygon: GeoJSON Polygon `coordinates`, positions `[lon, lat]` in WGS84 degrees, the first ring the outline and any further ones holes.',
      `Refused with 422 invalid_shape although well formed (\`issues\` names each position): a ring not closed (last position ≠ first), a position repeated right after itself, edges that cross (also across rings), a ring with no area, a hole outside the outline, more than ${landmarkLimits.maxPositions} positions in all.`,
    ].join(' '),
    oneOf: [
      closed(['type', 'center', 'radiusM'], {
        type: { const: 'circle' },
        center: closed(['lat', 'lon'], { lat: { type: 'number', minimum: -90, maximum: 90 }, lon: { type: 'number', minimum: -180, maximum: 180 } }),
        radiusM: { type: 'number', minimum: landmarkLimits.minRadiusM, maximum: landmarkLimits.maxRadiusM },
      }),
      closed(['type', 'coordinates'], {
        type: { const: 'polygon' },
        coordinates: {
          type: 'array', minItems: 1, maxItems: landmarkLimits.maxRings,
          items: {
            type: 'array', minItems: 4, maxItems: landmarkLimits.maxPositions,
            items: { type: 'array', minItems: 2, maxItems: 2, prefixItems: [{ type: 'number', minimum: -180, maximum: 180 }, { type: 'number', minimum: -90, maximum: 90 }], items: false },
          },
        },
      }),
    ],
    examples: [{ type: 'circle', center: { lat: 52.52, lon: 13.405 }, radiusM: 250 }, { type: 'polygon', coordinates: [[[13.0, 52.0], [13.1, 52.0], [13.1, 52.1], [13.0, 52.1], [13.0, 52.0]]] }],
  },
  LandmarkCreate: {
    ...closed(['name', 'shape'], {
      name: specProperties.name,
      shape: ref('LandmarkShape'),
      accountId: { ...accountIdSchema, description: 'The owning account: required with the operator key; with an account key it may be left out or name that account (another is a 403).' },
    }),
    examples: [{ name: 'depot', shape: { type: 'circle', center: { lat: 52.52, lon: 13.405 }, radiusM: 250 } }],
  },
  LandmarkPatch: { ...closed([], { name: specProperties.name, shape: ref('LandmarkShape') }), minProperties: 1 },
  Landmark: closed(['id', 'accountId', 'name', 'shape', 'createdAt', 'updatedAt', 'revision'], {
    id: landmarkIdSchema, accountId: accountIdSchema, name: { type: 'string' }, shape: ref('LandmarkShape'),
    createdAt: isoTime, updatedAt: isoTime, revision: { type: 'integer', minimum: 1 },
  }),
  LandmarkPage: closed(['data', 'nextCursor'], {
    data: { type: 'array', items: ref('Landmark') },
    nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page.' },
  }),
  VehicleState: closed(['vehicleId', 'accountId', 'mode', 'time', 'location', 'speedKmh', 'headingDeg', 'odometerKm', 'ignition', 'activeDtcs', 'lastEventTimes'], {
    vehicleId: { type: 'string' }, accountId: accountIdSchema,
    mode: { enum: ['live', 'simulated'], description: '`simulated` when the vehicle\'s latest record was marked simulated (the fleet simulator marks its own).' },
    time: { ...isoTime, description: 'The newest record time seen, of any kind.' },
    location: nullable(closed(['lat', 'lon', 'time'], { lat: { type: 'number' }, lon: { type: 'number' }, time: isoTime })),
    speedKmh: nullable({ type: 'number' }), headingDeg: nullable({ type: 'number' }), odometerKm: nullable({ type: 'number' }), ignition: nullable({ type: 'boolean' }),
    activeDtcs: {
      type: 'array', description: 'Codes reported active and not cleared (or reported pending) since, by code; at most 64.',
      items: closed(['code', 'source', 'time'], { code: { type: 'string' }, source: { enum: ['OBD_II', 'J1939'] }, time: isoTime, spn: { type: 'integer' }, fmi: { type: 'integer' }, description: { type: 'string' } }),
    },
    lastEventTimes: { type: 'object', additionalProperties: isoTime, description: 'The newest time of each event type seen (device-reported or derived).' },
  }),
  SubscriptionStatus: closed(['id', 'state', 'verifiedAt', 'delivery', 'recovery'], {
    id: { type: 'string' }, state: { enum: [...subscriptionStates] }, verifiedAt: nullable(isoTime),
    delivery: { ...ref('DeliveryStatus'), description: 'Figures the dispatcher has not reported yet are null, never guessed.' },
    recovery: { ...nullable(ref('RecoveryProgress')), description: 'The latest recovery (POST …/recover), or null when there was none (or its status was lost with Redis).' },
  }),
  RecoverRequest: {
    ...closed([], { episodeId: { ...episodeIdSchema, description: 'The deactivation episode to recover (its id is in the audit records\' `fleethook-episode` header); the latest when left out.' } }),
  },
  RecoveryStarted: closed(['recoveryId', 'subscriptionId', 'episodeId', 'items', 'ownerReady'], {
    recoveryId: { type: 'string', pattern: '^rcv_' }, subscriptionId: subscriptionIdSchema, episodeId: { type: 'string' },
    items: { type: 'integer', minimum: 1, description: 'Audited items handed back for delivery, in order, before any newer live data.' },
    ownerReady: { type: 'boolean', description: 'True once the dispatcher that owns the subscription has taken the recovery in hand: live data it routes from then on goes behind these items. False if it did not say so within the wait (it takes it up when it runs).' },
  }),
  ReplayRequest: closed(['from'], {
    from: { ...isoTime, description: 'Start of the window (record time, inclusive). Older than the telemetry Kafka keeps: 409 replay_window_expired naming the earliest time available.' },
    to: { ...isoTime, description: 'End of the window (inclusive); now when left out or in the future. Before `from`: 422 invalid_range.' },
  }),
  Replay: closed(['id', 'subscriptionId', 'accountId', 'from', 'to', 'state', 'requestsSent', 'itemsSent', 'requestedAt', 'updatedAt', 'error'], {
    id: { type: 'string', pattern: '^rpl_' }, subscriptionId: subscriptionIdSchema, accountId: accountIdSchema, from: isoTime, to: isoTime,
    state: { enum: ['queued', 'running', 'done', 'cancelling', 'cancelled', 'failed'], description: '`queued` until the owning dispatcher starts it; `cancelling` until it has read the cancel (no request starts after that).' },
    requestsSent: { type: 'integer', minimum: 0, description: 'Requests delivered (2xx) so far.' },
    itemsSent: { type: 'integer', minimum: 0, description: 'Items in the requests delivered so far.' },
    requestedAt: isoTime, updatedAt: isoTime, error: { ...nullable({ type: 'string' }), description: 'Why it failed (the last attempt\'s error), else null.' },
  }),
  RecoveryProgress: closed(['id', 'episodeId', 'items', 'recovered', 'left', 'startedAt'], {
    id: { type: 'string', pattern: '^rcv_' }, episodeId: { type: 'string' }, items: { type: 'integer', minimum: 1 },
    recovered: { type: 'integer', minimum: 0, description: 'Items delivered so far (best effort: counted in Redis).' },
    left: { type: 'integer', minimum: 0 }, startedAt: isoTime,
  }),
} as const;
