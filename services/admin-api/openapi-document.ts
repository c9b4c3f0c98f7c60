import { contentTypes, eventTypes } from '../shared/subscriptions/subscription-types.js';
import { maxPageSize } from './list-query.js';
import { exampleAuthTypes, exampleKinds } from './request-examples.js';
import { accountIdSchema, id128, landmarkIdSchema, openApiSchemas, subscriptionIdSchema } from './openapi-schemas.js';
import { messageLogPaths, messageLogSchemas, messageResendPath } from './openapi-message-log.js';

/**
 * The admin API's OpenAPI 3.1 document, served at `GET /v1/openapi.json`. A test sends
 * real requests and validates every response against it, and the contract run
 * (test/contract/run-schemathesis.sh) generates valid and invalid requests from it and
 * follows its links, so it cannot drift silently.
 */
const json = (schema: string, description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const errors = (...statuses: number[]): Record<string, unknown> =>
  Object.fromEntries(statuses.map((s) => [String(s), json('Error', errorText[s] ?? 'error')]));
const errorText: Record<number, string> = {
  400: 'Invalid request (validation_failed, invalid_json — also duplicate keys or nesting deeper than 32 —, invalid_request): `field` names the first bad field, `issues` the first ten, `issueCount` how many.',
  401: 'Missing or unknown API key.',
  403: 'An account key naming another account (`accountId`).',
  404: 'No such subscription for this key (another account\'s subscription is also 404).',
  409: 'Not allowed in the current state.',
  413: 'Body larger than the limit (64 KiB by default).',
  415: 'Body is not application/json.',
  422: 'Well formed but refused: url_not_allowed (http not allowed, port not in the operator\'s list, host blocked or unresolvable) or subscription_limit_reached (the account holds the most subscriptions allowed, 100 by default), or unknown_landmark (landmarkIds in an event name a landmark the account does not have).',
  429: 'Too many calls of this kind for this subscription in the current window (shared by every instance); the `Retry-After` header says how many seconds to wait.',
  503: 'Catalogue not caught up; retry.',
};
/** Every authenticated call: unknown or repeated query parameters are a 400; a lagging catalogue a 503. */
const always = [400, 401, 503];
const idParam = { name: 'id', in: 'path', required: true, schema: subscriptionIdSchema };
const replayIdParam = { name: 'replayId', in: 'path', required: true, schema: { type: 'string', maxLength: 100 } };
const vehicleIdParam = { name: 'vehicleId', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 128 } };
/** A vehicle id as a subscription's vehicle filter holds it (the same rule as `VehicleFilter.vehicleIds`). */
const filterVehicleIdParam = { ...vehicleIdParam, schema: id128 };
const tokenParam = { name: 'token', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.-]+$' } };
const secured = [{ apiKey: [] }];
const noBody = {
  required: false,
  description: 'No body, or `{}`.',
  content: { 'application/json': { schema: { type: 'object', additionalProperties: false, maxProperties: 0 } } },
};
const idFrom = (pointer: string): Record<string, unknown> => ({ parameters: { id: `$response.body#${pointer}` } });
/** Where a subscription's id leads (stateful testing follows these). */
const linksFrom = (pointer: string): Record<string, unknown> => Object.fromEntries(
  ['getSubscription', 'patchSubscription', 'deleteSubscription', 'verifySubscription', 'testSubscription', 'pauseSubscription', 'resumeSubscription',
    'reactivateSubscription', 'rotateSecret', 'getStatus', 'getAttempts', 'recoverSubscription', 'startReplay'].map((op) => [op, { operationId: op, ...idFrom(pointer) }]),
);
const landmarkIdParam = { name: 'id', in: 'path', required: true, schema: landmarkIdSchema };
const landmarkLinks = Object.fromEntries(['getLandmark', 'patchLandmark', 'deleteLandmark'].map((op) => [op, { operationId: op, ...idFrom('/id') }]));
const noLandmark = { '404': json('Error', 'No such landmark for this key (another account\'s landmark is also 404).') };
const refusedShape = { '422': json('Error', 'invalid_shape: the shape is well formed but not an area (see LandmarkShape); `issues` names each bad ring or position. landmark_limit_reached: the account holds the most landmarks allowed (20,000 by default).') };
const okWithLinks = (schema: string, description: string, pointer: string): Record<string, unknown> => ({ ...json(schema, description), links: linksFrom(pointer) });
const action = (operationId: string, summary: string, ok: Record<string, unknown>, extra: number[] = []): Record<string, unknown> => ({
  post: { operationId, summary, security: secured, parameters: [idParam], requestBody: noBody, responses: { '200': ok, ...errors(...always, 404, 413, 415, ...extra) } },
});
const jsonOrPage = (schema: string, description: string): Record<string, unknown> => ({
  description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } }, 'text/html': { schema: { type: 'string' } } },
});
const openJson = (description: string): Record<string, unknown> => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'fleethook admin API',
    version: '1.0.0',
    description: [
      'Manage webhook subscriptions. Authenticate with `Authorization: Bearer <key>`: an account key sees only its account;',
      'the operator key sees all and names `accountId` when creating. Errors are `{ code, message, field }`; a message never quotes the body.',
      'Every text field refuses control characters. Verification: fleethook POSTs `{"eventName":"verify","challenge":"<hex>",…}` (signed like every request) and the endpoint must',
      'answer 2xx with the lowercase hex HMAC-SHA256 of the challenge string, keyed with the signing secret\'s key bytes (the base64',
      'part after `whsec_`, decoded) — as the body `{"challengeResponse":"<hex>"}`, as `{"challenge":"<hex>"}` (Smartcar\'s form) or as the bare',
      'hex string (at most 4 KiB in all). A malformed answer fails with `wrong_value` and a message saying what is wrong. Redirects are not followed.',
    ].join(' '),
  },
  webhooks: {
    delivery: {
      post: {
        operationId: 'receiveDelivery',
        summary: 'What an endpoint receives: a batch of one kind, signed (Standard Webhooks headers `webhook-id`, `webhook-timestamp`, `webhook-signature`).',
        description: [
          'Every attempt of a request is built anew: `id`, `data`, `createdAt` and `enqueueTime` stay, `requestTime`, `retryCount` and `queueDepth` are',
          'the attempt\'s, and `webhook-timestamp` and `webhook-signature` cover the attempt\'s body. So a repeat carries the same `webhook-id` and the same',
          'items but not the same bytes: deduplicate on `webhook-id`, never on a hash of the body. Form-encoded subscriptions get every head field as',
          'a form field (values as text) and `data` as one field holding the JSON array.',
        ].join(' '),
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/WebhookBody' } },
            'application/x-www-form-urlencoded': { schema: { type: 'object', additionalProperties: { type: 'string' } } },
          },
        },
        responses: { '200': { description: 'Any 2xx acknowledges. Anything else (3xx included) is retried with the same `webhook-id`; 410 deactivates.' } },
      },
    },
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
    schemas: { ...openApiSchemas, ...messageLogSchemas },
  },
  paths: {
    '/v1/subscriptions': {
      post: {
        operationId: 'createSubscription',
        summary: 'Create a subscription (state pending_verification, or paused if enabled=false). The signing secret is returned once.',
        security: secured,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SubscriptionCreate' } } } },
        responses: { '201': okWithLinks('SubscriptionWithSecret', 'Created.', '/subscription/id'), ...errors(...always, 403, 413, 415, 422) },
      },
      get: {
        operationId: 'listSubscriptions',
        summary: 'List subscriptions, oldest first, paged by cursor.',
        security: secured,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 50 } },
          { name: 'cursor', in: 'query', description: '`nextCursor` of the previous page.', schema: subscriptionIdSchema },
          { name: 'accountId', in: 'query', description: 'Filter by account (operator key); an account key may name only its own account (another is a 403).', schema: accountIdSchema },
        ],
        responses: { '200': json('SubscriptionPage', 'A page.'), ...errors(...always, 403) },
      },
    },
    '/v1/subscriptions/{id}': {
      get: { operationId: 'getSubscription', summary: 'Read a subscription (secrets masked).', security: secured, parameters: [idParam], responses: { '200': json('Subscription', 'The subscription.'), ...errors(...always, 404) } },
      patch: {
        operationId: 'patchSubscription',
        summary: 'Change fields; top-level fields are replaced whole. A new URL needs verification again.',
        security: secured,
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SubscriptionPatch' } } } },
        responses: { '200': json('Subscription', 'Updated.'), ...errors(...always, 404, 409, 413, 415, 422) },
      },
      delete: { operationId: 'deleteSubscription', summary: 'Delete (a tombstone on the catalogue topic).', security: secured, parameters: [idParam], responses: { '204': { description: 'Deleted.' }, ...errors(...always, 404) } },
    },
    '/v1/subscriptions/{id}/verify': action('verifySubscription', 'Send the verification challenge now; activates on a correct answer. A failed attempt also e-mails the subscription\'s confirmed alert addresses. Limited per subscription per window (5 a minute by default).', json('VerificationReply', 'The attempt\'s result (also when it failed).'), [409, 429]),
    '/v1/subscriptions/{id}/test': action('testSubscription', 'Send one signed test event now: the live body of the subscription\'s kind (same head, `version` included, and one sample item in the live item format) with mode `test`. A scheduled subscription gets one sample vehicle\'s item as its slots carry it (its fields and units). Limited per subscription per window (5 a minute by default).', json('TestEventResult', 'What the endpoint answered.'), [429]),
    '/v1/subscriptions/{id}/vehicles/{vehicleId}': {
      put: {
        operationId: 'subscribeVehicle',
        summary: 'Add a vehicle to the subscription\'s vehicle filter (per-vehicle subscribe, beside PATCH of `vehicleFilter`). Idempotent; a subscription without a filter takes every vehicle already and is left as it is.',
        security: secured, parameters: [idParam, filterVehicleIdParam], requestBody: noBody,
        responses: { '200': json('Subscription', 'The subscription as it is now.'), ...errors(...always, 404, 413, 415) },
      },
      delete: {
        operationId: 'unsubscribeVehicle',
        summary: 'Remove a vehicle from the vehicle filter. Idempotent (a vehicle not in it changes nothing). 409 when the subscription has no filter (it takes every vehicle) or when it is the last vehicle of the filter (an empty filter would take every vehicle: pause or delete instead).',
        security: secured, parameters: [idParam, filterVehicleIdParam],
        responses: { '200': json('Subscription', 'The subscription as it is now.'), ...errors(...always, 404, 409) },
      },
    },
    '/v1/subscriptions/{id}/alert-emails/confirm': {
      post: {
        operationId: 'confirmAlertEmail',
        summary: 'Confirm an alert address with the code its confirmation e-mail carried (the owner pasting it for the holder).',
        security: secured,
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AlertAddressConfirm' } } } },
        responses: {
          '200': json('Subscription', 'Confirmed; the subscription with each address\'s state.'), ...errors(...always, 404, 413, 415),
          '422': json('Error', 'invalid_confirmation_code: not a pending code of this subscription (unknown, expired or already used).'),
        },
      },
    },
    '/v1/alert-email-confirmations/{token}': {
      get: {
        operationId: 'showAlertEmailConfirmation',
        summary: 'The confirmation link of the e-mail: a page with a button that POSTs the token back (opening the link alone confirms nothing). No API key.',
        parameters: [tokenParam],
        responses: { '200': { description: 'HTML page.', content: { 'text/html': { schema: { type: 'string' } } } }, '400': json('Error', 'Not a confirmation token.') },
      },
      post: {
        operationId: 'confirmAlertEmailByToken',
        summary: 'Confirm the address the token was sent to. No API key: the unguessable token is the proof. `?format=html` answers with a page (the button uses it).',
        parameters: [tokenParam, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['html'] } }],
        responses: {
          '200': jsonOrPage('AlertAddressConfirmed', 'Confirmed (a page with `?format=html`).'),
          '400': json('Error', 'Not a confirmation token.'),
          '404': jsonOrPage('Error', 'Unknown, expired or already used token, one answer for all (a page with `?format=html`).'),
        },
      },
    },
    '/v1/subscriptions/{id}/pause': action('pauseSubscription', 'Pause delivery.', json('Subscription', 'Paused.'), [409]),
    '/v1/subscriptions/{id}/resume': action('resumeSubscription', 'Resume (or reactivate a deactivated subscription).', json('Subscription', 'Resumed.'), [409]),
    '/v1/subscriptions/{id}/reactivate': action(
      'reactivateSubscription',
      'Reactivate a deactivated subscription: active if it is still verified for its current URL, else pending_verification. Delivers new data from then on (what was discarded at deactivation stays in the audit topic). Any other state is a 409.',
      json('Subscription', 'Reactivated.'),
      [409],
    ),
    '/v1/subscriptions/{id}/recover': {
      post: {
        operationId: 'recoverSubscription',
        summary: [
          'Re-deliver what a deactivation put in the audit topic: the latest episode, or `episodeId`. The items go out in their order, each once (same',
          '`webhook-id` if a request is repeated), before any live data that arrives from now on; the status shows the progress. An episode is recovered',
          'once: again is 409 already_recovered; a subscription that is not active, or has nothing audited, is 409 (conflict, nothing_to_recover).',
        ].join(' '),
        security: secured,
        parameters: [idParam],
        requestBody: { required: false, description: 'No body, `{}`, or `{ "episodeId": "…" }`.', content: { 'application/json': { schema: { $ref: '#/components/schemas/RecoverRequest' } } } },
        responses: {
          '202': json('RecoveryStarted', 'Handed to the dispatcher; delivery follows.'), ...errors(...always, 413, 415),
          '404': json('Error', 'No such subscription for this key (another account\'s is also 404), or (`field`: episodeId) no such audited episode.'),
          '409': json('Error', 'conflict (not active), nothing_to_recover, already_recovered or recovery_in_progress.'),
        },
      },
    },
    '/v1/subscriptions/{id}/replays': {
      post: {
        operationId: 'startReplay',
        summary: [
          'Re-deliver the subscription\'s matching telemetry whose time lies in [from, to] as a stream of its own beside the live one: bodies with `mode: "replay"`',
          'and `replayId`, new `webhook-id`s (the same again if a request is repeated), GPS in order per vehicle, DTC and events in order per telemetry partition;',
          'rate-limited so live delivery keeps its pace. The dispatcher that owns the subscription runs it; GET shows its progress.',
        ].join(' '),
        security: secured,
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ReplayRequest' } } } },
        responses: {
          '202': { ...json('Replay', 'Handed to the dispatcher (state queued).'), links: { getReplay: { operationId: 'getReplay', parameters: { id: '$response.body#/subscriptionId', replayId: '$response.body#/id' } }, cancelReplay: { operationId: 'cancelReplay', parameters: { id: '$response.body#/subscriptionId', replayId: '$response.body#/id' } } } },
          ...errors(...always, 413, 415),
          '404': json('Error', 'No such subscription for this key (another account\'s is also 404).'),
          '409': json('Error', 'replay_window_expired (`from` older than the telemetry kept; the message names the earliest time available), or conflict (the subscription is not active, or is scheduled).'),
          '422': json('Error', 'invalid_range: `from` is after `to`.'),
        },
      },
    },
    '/v1/subscriptions/{id}/replays/{replayId}': {
      get: {
        operationId: 'getReplay', summary: 'A replay\'s progress: state, requests and items delivered.', security: secured, parameters: [idParam, replayIdParam],
        responses: { '200': json('Replay', 'Progress.'), ...errors(...always), '404': json('Error', 'No such replay of this subscription for this key (another account\'s is also 404).') },
      },
      delete: {
        operationId: 'cancelReplay', summary: 'Cancel a replay: its dispatcher starts no request after it reads the cancel. A replay that ended already is shown as it is.', security: secured, parameters: [idParam, replayIdParam],
        responses: { '202': json('Replay', 'Cancelling (or ended already).'), ...errors(...always), '404': json('Error', 'No such replay of this subscription for this key (another account\'s is also 404).') },
      },
    },
    '/v1/subscriptions/{id}/rotate-secret': action('rotateSecret', 'New signing secret; the previous one keeps signing for the grace period.', json('SubscriptionWithSecret', 'Rotated.')),
    '/v1/subscriptions/{id}/status': {
      get: { operationId: 'getStatus', summary: 'State (from the catalogue) and delivery status: counters, backlog size, and while parked the current retry tier, next retry time, first failure time and last error. Unknown figures are null.', security: secured, parameters: [idParam], responses: { '200': json('SubscriptionStatus', 'Status.'), ...errors(...always, 404) } },
    },
    '/v1/subscriptions/{id}/feed-token': action(
      'createFeedToken',
      'A token that opens this subscription\'s live feed (`GET …/feed?token=`) for 60 s. EventSource cannot send headers and an API key must not sit in a URL, so the key stays here.',
      json('FeedToken', 'The token.'),
    ),
    '/v1/subscriptions/{id}/feed': {
      get: {
        operationId: 'getFeed',
        summary: 'The live feed (Server-Sent Events): the recent requests sent to the endpoint (test events and, where the dispatcher records them, live deliveries), then each new one. Event `delivery` carries a FeedEntry (body capped at 8 KiB); `expired` ends the stream after 10 minutes.',
        parameters: [idParam, { name: 'token', in: 'query', required: true, schema: { type: 'string', minLength: 1, maxLength: 600 } }],
        responses: {
          '200': {
            description: 'An event stream. The schema describes one event (OpenAPI 3.1 has no itemSchema yet): `delivery` with a FeedEntry as JSON in `data`, or `expired`.',
            content: {
              'text/event-stream': {
                schema: {
                  type: 'object', required: ['data'],
                  properties: { event: { enum: ['delivery', 'expired'] }, data: { type: 'string' }, id: { type: 'string' }, retry: { type: 'integer' } },
                },
              },
            },
          },
          ...errors(400, 404, 503), '401': json('Error', 'Missing, expired or foreign feed token.'),
        },
      },
    },
    '/v1/examples': {
      get: {
        operationId: 'getRequestExample',
        summary: 'The headers and body an endpoint receives for a kind and content type, built by the code that builds real requests and signed with a published example secret (auth headers carry placeholders).',
        security: secured,
        parameters: [
          { name: 'kind', in: 'query', required: true, schema: { enum: [...exampleKinds] } },
          { name: 'contentType', in: 'query', required: false, schema: { enum: [...contentTypes], default: 'application/json' } },
          { name: 'eventType', in: 'query', required: false, description: 'For kind `event`.', schema: { enum: [...eventTypes], default: 'heartbeat' } },
          { name: 'auth', in: 'query', required: false, schema: { enum: [...exampleAuthTypes], default: 'none' } },
        ],
        responses: { '200': json('RequestExample', 'The example request.'), ...errors(...always) },
      },
    },
    '/v1/subscriptions/{id}/attempts': {
      get: {
        operationId: 'getAttempts',
        summary: 'The log of recent delivery attempts (newest first, at most 100): time, status code, latency, error, webhook-id.',
        security: secured,
        parameters: [idParam, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 } }],
        responses: { '200': json('AttemptLog', 'Attempts.'), ...errors(...always, 404) },
      },
    },
    ...messageLogPaths,
    '/v1/landmarks': {
      post: {
        operationId: 'createLandmark',
        summary: 'Register a landmark (geofence) of the account: a circle or a polygon. The deriver tests it from the next GPS point on.',
        security: secured,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/LandmarkCreate' } } } },
        responses: { '201': { ...json('Landmark', 'Created.'), links: landmarkLinks }, ...errors(...always, 403, 413, 415), ...refusedShape },
      },
      get: {
        operationId: 'listLandmarks',
        summary: 'List landmarks, oldest first, paged by cursor.',
        security: secured,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 50 } },
          { name: 'cursor', in: 'query', description: '`nextCursor` of the previous page.', schema: landmarkIdSchema },
          { name: 'accountId', in: 'query', description: 'Filter by account (operator key); an account key may name only its own account (another is a 403).', schema: accountIdSchema },
        ],
        responses: { '200': json('LandmarkPage', 'A page.'), ...errors(...always, 403) },
      },
    },
    '/v1/landmarks/{id}': {
      get: { operationId: 'getLandmark', summary: 'Read a landmark.', security: secured, parameters: [landmarkIdParam], responses: { '200': json('Landmark', 'The landmark.'), ...errors(...always), ...noLandmark } },
      patch: {
        operationId: 'patchLandmark',
        summary: 'Rename it or replace its shape (whole).',
        security: secured,
        parameters: [landmarkIdParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/LandmarkPatch' } } } },
        responses: { '200': json('Landmark', 'Updated.'), ...errors(...always, 413, 415), ...noLandmark, ...refusedShape },
      },
      delete: { operationId: 'deleteLandmark', summary: 'Delete (a tombstone on the landmark topic). A vehicle inside it gets no landmark_leave.', security: secured, parameters: [landmarkIdParam], responses: { '204': { description: 'Deleted.' }, ...errors(...always), ...noLandmark } },
    },
    '/v1/vehicles/{vehicleId}/state': {
      get: {
        operationId: 'getVehicleState',
        summary: 'The latest state of a vehicle of the account (last GPS fix, active DTCs, last event times, mode), from the compacted vehicle.state topic. A vehicle of another account, or one never seen, is a 404. The GPS fields are null until its first point.',
        security: secured,
        parameters: [vehicleIdParam],
        responses: { '200': json('VehicleState', 'The state.'), ...errors(...always, 404) },
      },
    },
    ...messageResendPath,
    '/v1/openapi.json': { get: { operationId: 'getOpenApi', summary: 'This document.', responses: { '200': openJson('OpenAPI 3.1 document.') } } },
    '/healthz': { get: { operationId: 'getHealth', summary: 'Liveness.', responses: { '200': openJson('Alive.') } } },
    '/readyz': {
      get: { operationId: 'getReadiness', summary: 'Ready once the subscription catalogue, the landmarks and the vehicle states have caught up (the delivery log catches up on its own; its routes answer 503 until then).', responses: { '200': openJson('Ready.'), '503': openJson('Catching up.') } },
    },
    '/metrics': { get: { operationId: 'getMetrics', summary: 'Prometheus metrics.', responses: { '200': { description: 'Text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  },
} as const;
