import { openApiSchemas } from './openapi-schemas.js';

/**
 * The admin API's OpenAPI 3.1 document, served at `GET /v1/openapi.json`. A test sends
 * real requests and validates every response against it, so it cannot drift silently.
 */
const json = (schema: string, description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const errors = (...statuses: number[]): Record<string, unknown> =>
  Object.fromEntries(statuses.map((s) => [String(s), json('Error', errorText[s] ?? 'error')]));
const errorText: Record<number, string> = {
  400: 'Invalid request: `field` names the first bad field, `issues` lists all.',
  401: 'Missing or unknown API key.',
  404: 'No such subscription for this key (another account\'s subscription is also 404).',
  409: 'Not allowed in the current state.',
  413: 'Body larger than the limit (64 KiB by default).',
  415: 'Body is not application/json.',
  429: 'Too many calls of this kind for this subscription in the current window (shared by every instance); the `Retry-After` header says how many seconds to wait.',
  503: 'Catalogue not caught up; retry.',
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^sub_' } };
const tokenParam = { name: 'token', in: 'path', required: true, schema: { type: 'string', maxLength: 200 } };
const secured = [{ apiKey: [] }];
const action = (summary: string, ok: Record<string, unknown>, extra: number[] = []): Record<string, unknown> => ({
  post: { summary, security: secured, parameters: [idParam], responses: { '200': ok, ...errors(400, 401, 404, ...extra) } },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'fleethook admin API',
    version: '1.0.0',
    description: [
      'Manage webhook subscriptions. Authenticate with `Authorization: Bearer <key>`: an account key sees only its account;',
      'the operator key sees all and names `accountId` when creating. Errors are `{ code, message, field }`.',
      'Verification: fleethook POSTs `{"eventName":"verify","challenge":"<hex>",…}` (signed like every request) and the endpoint must',
      'answer 2xx with the lowercase hex HMAC-SHA256 of the challenge string, keyed with the signing secret\'s key bytes (the base64',
      'part after `whsec_`, decoded) — as the body `{"challengeResponse":"<hex>"}` or as the bare hex string. Redirects are not followed.',
    ].join(' '),
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
    schemas: openApiSchemas,
  },
  paths: {
    '/v1/subscriptions': {
      post: {
        summary: 'Create a subscription (state pending_verification, or paused if enabled=false). The signing secret is returned once.',
        security: secured,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SubscriptionCreate' } } } },
        responses: { '201': json('SubscriptionWithSecret', 'Created.'), ...errors(400, 401, 413, 415) },
      },
      get: {
        summary: 'List subscriptions, oldest first, paged by cursor.',
        security: secured,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
          { name: 'accountId', in: 'query', description: 'Operator key only.', schema: { type: 'string' } },
        ],
        responses: { '200': json('SubscriptionPage', 'A page.'), ...errors(400, 401) },
      },
    },
    '/v1/subscriptions/{id}': {
      get: { summary: 'Read a subscription (secrets masked).', security: secured, parameters: [idParam], responses: { '200': json('Subscription', 'The subscription.'), ...errors(401, 404) } },
      patch: {
        summary: 'Change fields; top-level fields are replaced whole. A new URL needs verification again.',
        security: secured,
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SubscriptionPatch' } } } },
        responses: { '200': json('Subscription', 'Updated.'), ...errors(400, 401, 404, 409, 413, 415) },
      },
      delete: { summary: 'Delete (a tombstone on the catalogue topic).', security: secured, parameters: [idParam], responses: { '204': { description: 'Deleted.' }, ...errors(401, 404) } },
    },
    '/v1/subscriptions/{id}/verify': action('Send the verification challenge now; activates on a correct answer. A failed attempt also e-mails the subscription\'s confirmed alert addresses. Limited per subscription per window (5 a minute by default).', json('VerificationReply', 'The attempt\'s result (also when it failed).'), [409, 429]),
    '/v1/subscriptions/{id}/test': action('Send one signed test event (mode `test`) now. Limited per subscription per window (5 a minute by default).', json('TestEventResult', 'What the endpoint answered.'), [429]),
    '/v1/subscriptions/{id}/alert-emails/confirm': {
      post: {
        summary: 'Confirm an alert address with the code its confirmation e-mail carried (the owner pasting it for the holder).',
        security: secured,
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AlertAddressConfirm' } } } },
        responses: { '200': json('Subscription', 'Confirmed; the subscription with each address\'s state.'), ...errors(400, 401, 413, 415), '404': json('Error', 'Unknown, expired or used code, or no such subscription for this key (one answer for all).') },
      },
    },
    '/v1/alert-email-confirmations/{token}': {
      get: {
        summary: 'The confirmation link of the e-mail: a page with a button that POSTs the token back (opening the link alone confirms nothing). No API key.',
        parameters: [tokenParam],
        responses: { '200': { description: 'HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
      post: {
        summary: 'Confirm the address the token was sent to. No API key: the unguessable token is the proof. `?format=html` answers with a page (the button uses it).',
        parameters: [tokenParam, { name: 'format', in: 'query', required: false, schema: { const: 'html' } }],
        responses: { '200': json('AlertAddressConfirmed', 'Confirmed.'), '404': json('Error', 'Unknown, expired or already used token (one answer for all).') },
      },
    },
    '/v1/subscriptions/{id}/pause': action('Pause delivery.', json('Subscription', 'Paused.'), [409]),
    '/v1/subscriptions/{id}/resume': action('Resume (or reactivate a deactivated subscription).', json('Subscription', 'Resumed.')),
    '/v1/subscriptions/{id}/reactivate': action(
      'Reactivate a deactivated subscription: active if it is still verified for its current URL, else pending_verification. Delivers new data from then on (what was discarded at deactivation stays in the audit topic). Any other state is a 409.',
      json('Subscription', 'Reactivated.'),
      [409],
    ),
    '/v1/subscriptions/{id}/rotate-secret': action('New signing secret; the previous one keeps signing for the grace period.', json('SubscriptionWithSecret', 'Rotated.')),
    '/v1/subscriptions/{id}/status': {
      get: { summary: 'State (from the catalogue) and delivery status: counters, backlog size, and while parked the current retry tier, next retry time, first failure time and last error. Unknown figures are null.', security: secured, parameters: [idParam], responses: { '200': json('SubscriptionStatus', 'Status.'), ...errors(401, 404) } },
    },
    '/v1/subscriptions/{id}/attempts': {
      get: {
        summary: 'The log of recent delivery attempts (newest first, at most 100): time, status code, latency, error, webhook-id.',
        security: secured,
        parameters: [idParam, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 } }],
        responses: { '200': json('AttemptLog', 'Attempts.'), ...errors(400, 401, 404) },
      },
    },
    '/v1/openapi.json': { get: { summary: 'This document.', responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    '/healthz': { get: { summary: 'Liveness.', responses: { '200': { description: 'Alive.', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    '/readyz': {
      get: {
        summary: 'Ready once the subscription catalogue has caught up.',
        responses: {
          '200': { description: 'Ready.', content: { 'application/json': { schema: { type: 'object' } } } },
          '503': { description: 'Catching up.', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
    '/metrics': { get: { summary: 'Prometheus metrics.', responses: { '200': { description: 'Text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  },
} as const;
